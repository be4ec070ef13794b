// The OpenAPI 3.1 document served by the api: its structure, its schemas compile and validate (ajv, JSON
// Schema 2020-12), it lists exactly the routes the express router serves, and real answers match it.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ROUTES, openApiPath } from '@sentinel/api';
import { waitFor } from '@sentinel/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackScenario, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

type Json = Record<string, unknown>;
interface Op {
  operationId: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
  parameters: { name: string; in: string; required: boolean; schema: Json }[];
  requestBody?: { content: Record<string, { schema: Json }> };
}

let kit: Kit;
let doc: {
  openapi: string;
  info: Json;
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, Json> };
};
beforeAll(async () => {
  kit = await startKit();
  await attackScenario(kit);
  await waitFor('incidents', async () => {
    const r = await kit.call('GET', '/api/v1/incidents', kit.tokens.analyst);
    return (r.json as { items: unknown[] }).items.length > 0;
  });
  const res = await kit.call('GET', '/api/v1/openapi.json');
  expect(res.status).toBe(200);
  doc = res.json as typeof doc;
});
afterAll(async () => kit?.close());

const BASE = 'https://sentinel.invalid/openapi.json';
function ajvWithComponents(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: BASE, $defs: absolute(doc.components.schemas) });
  return ajv;
}
function absolute(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${BASE}#/$defs/`));
}

/** Every (METHOD, /api/v1/path) the express router serves, read from its layers. */
function routerRoutes(): string[] {
  interface Layer {
    route?: { path: string; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
  }
  const out: string[] = [];
  const walk = (stack: Layer[], prefix: string): void => {
    for (const l of stack) {
      if (l.route) {
        for (const m of Object.keys(l.route.methods))
          out.push(`${m.toUpperCase()} ${prefix}${openApiPath(l.route.path)}`);
      } else if (l.handle?.stack) walk(l.handle.stack, '/api/v1');
    }
  };
  walk((kit.api.app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out.filter((r) => r.includes(' /api/v1/') && !r.endsWith('/openapi.json')).sort();
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1.0 where every operation has an id, security, parameters for its path and its answers', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Sentinel API');
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(['get', 'post', 'patch', 'delete', 'put']).toContain(method);
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        expect(op.security?.length, op.operationId).toBeGreaterThan(0);
        for (const code of ['400', '401', '403', '429'])
          expect(op.responses[code], `${op.operationId} ${code}`).toBeDefined();
        expect(Object.keys(op.responses).some((c) => /^2\d\d$/.test(c))).toBe(true);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort()).toEqual(inPath.sort());
      }
    }
  });

  it('lists exactly the routes of the route table and of the express router', () => {
    const documented = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    const table = ROUTES.map((r) => `${r.method.toUpperCase()} /api/v1${openApiPath(r.path)}`).sort();
    expect(documented).toEqual(table);
    expect(routerRoutes()).toEqual(table);
  });

  it('every schema compiles under JSON Schema 2020-12', () => {
    const ajv = ajvWithComponents();
    let n = 0;
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops)) {
        const schemas = [
          ...op.parameters.map((p) => p.schema),
          ...Object.values(op.requestBody?.content ?? {}).map((c) => c.schema),
          ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {}).map((c) => c.schema)),
        ];
        for (const s of schemas) {
          expect(() => ajv.compile(absolute(s) as Json), `${op.operationId}`).not.toThrow();
          n += 1;
        }
      }
    }
    expect(n).toBeGreaterThan(50);
  });

  it('real answers of the read routes validate against their documented schemas', async () => {
    const ajv = ajvWithComponents();
    const gets: [string, string][] = [
      ['/api/v1/incidents', '/api/v1/incidents'],
      ['/api/v1/events', '/api/v1/events?limit=5'],
      ['/api/v1/identities', '/api/v1/identities'],
      ['/api/v1/identities/{scope}/{value}', '/api/v1/identities/ip/198.51.100.1?points=3'],
      ['/api/v1/mitre/coverage', '/api/v1/mitre/coverage'],
      ['/api/v1/overview', '/api/v1/overview'],
      ['/api/v1/bans', '/api/v1/bans'],
      ['/api/v1/reports/standards', '/api/v1/reports/standards'],
    ];
    for (const [path, url] of gets) {
      const schema = doc.paths[path]?.get?.responses['200']?.content?.['application/json']?.schema;
      const validate = ajv.compile(absolute(schema) as Json);
      const res = await kit.call('GET', url, kit.tokens.admin);
      expect(res.status, url).toBe(200);
      expect(validate(res.json), `${url}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    const bad = await kit.call('GET', '/api/v1/incidents?limit=0', kit.tokens.admin);
    expect(ajv.compile(absolute(doc.components.schemas.Error) as Json)(bad.json)).toBe(true);
  });
});
