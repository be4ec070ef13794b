// The OpenAPI 3.1 document, generated from the route table and its zod schemas (z.toJSONSchema writes
// JSON Schema 2020-12, the dialect of OpenAPI 3.1). Named schemas (.meta({ id })) become components.
import { z } from 'zod';
import { openApiPath } from './route.ts';
import type { RouteDef } from './route.ts';
import { errorSchema } from '../routes/schemas.ts';

type Json = Record<string, unknown>;

/** zod -> JSON Schema; its $defs move into components.schemas. */
function toSchema(schema: z.ZodType, io: 'input' | 'output', components: Json): Json {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  const defs = (js.$defs ?? {}) as Record<string, Json>;
  for (const [id, def] of Object.entries(defs)) components[id] = rewriteRefs(def);
  const { $schema: _s, $defs: _d, ...rest } = js;
  void _s;
  void _d;
  return rewriteRefs(rest) as Json;
}

function rewriteRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rewriteRefs);
  if (v === null || typeof v !== 'object') return v;
  const out: Json = {};
  for (const [k, val] of Object.entries(v as Json)) {
    out[k] =
      k === '$ref' && typeof val === 'string'
        ? val.replace('#/$defs/', '#/components/schemas/')
        : rewriteRefs(val);
  }
  return out;
}

function parameters(schema: z.ZodType | undefined, where: 'query' | 'path', components: Json): Json[] {
  if (!schema) return [];
  const js = toSchema(schema, 'input', components);
  const props = (js.properties ?? {}) as Record<string, Json>;
  const required = new Set((js.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
  }));
}

const errorRef = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string): Json => ({
  description,
  content: { 'application/json': { schema: errorRef } },
});

function operation(r: RouteDef, components: Json): Json {
  const ok = String(r.status ?? 200);
  const content: Json = r.produces
    ? Object.fromEntries(r.produces.map((t) => [t.split(';')[0] as string, { schema: {} }]))
    : { 'application/json': { schema: toSchema(r.response, 'output', components) } };
  const op: Json = {
    operationId: r.operationId,
    summary: r.summary,
    description: `Roles: ${r.roles.join(', ')}.`,
    tags: [r.tag],
    'x-roles': [...r.roles],
    security: [{ bearerAuth: [] }],
    parameters: [...parameters(r.params, 'path', components), ...parameters(r.query, 'query', components)],
    responses: {
      [ok]: { description: 'Success', content },
      '400': errorResponse('The request does not match its schema; `fields` names each field and why'),
      '401': errorResponse('No token, or an unknown or revoked one'),
      '403': errorResponse('The token role may not call this operation'),
      '429': {
        ...errorResponse('Rate limited'),
        headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'Seconds to wait' } },
      },
    },
  };
  if (r.body) {
    op.requestBody = {
      required: true,
      content: { 'application/json': { schema: toSchema(r.body, 'input', components) } },
    };
  }
  return op;
}

export function openApiDocument(routes: readonly RouteDef[], version = '1.0.0'): Json {
  const components: Json = {};
  // errorSchema carries .meta({ id: 'Error' }): converting it registers components.Error
  toSchema(errorSchema, 'output', components);
  const paths: Record<string, Json> = {};
  for (const r of routes) {
    const p = `/api/v1${openApiPath(r.path)}`;
    paths[p] ??= {};
    (paths[p] as Json)[r.method] = operation(r, components);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sentinel API',
      version,
      description:
        'Incidents, events, identities, bans, quarantine, MITRE coverage and compliance reports. Authenticate with `Authorization: Bearer snt_...`. Live stream: WebSocket /api/v1/stream (token in the Authorization header or the first message).',
    },
    servers: [{ url: '/' }],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'snt_ token' } },
    },
  };
}
