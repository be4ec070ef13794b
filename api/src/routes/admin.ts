// Tokens and configuration (admin), compliance reports (auditor), and who-am-I (everyone).
import { z } from 'zod';
import { ADMINS, AUDITORS, READERS, ROLES } from '../auth/roles.ts';
import { route } from '../http/route.ts';
import type { FileAnswer, RouteDef } from '../http/route.ts';
import { STANDARDS, STANDARD_IDS, buildReport } from '../reports/build.ts';
import { CONTENT_TYPES, REPORT_FORMATS, contentDigest, toCsv, toJson, toPdf } from '../reports/export.ts';
import { actionSchema, identityValue, msTime, name, scope } from './schemas.ts';

const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: z.number(),
    createdBy: z.string(),
  })
  .meta({ id: 'Token' });

const reportBody = z
  .object({
    standard: z.enum(STANDARD_IDS as [string, ...string[]]),
    from: msTime,
    to: msTime,
    scope: z.object({ scope, value: identityValue }).strict().optional(),
    format: z.enum(REPORT_FORMATS).default('json'),
  })
  .strict();

export const adminRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/me',
    operationId: 'whoAmI',
    summary: 'The calling token: name and role',
    tag: 'access',
    roles: READERS,
    response: z.object({ name: z.string(), role: z.enum(ROLES) }),
    handler: async ({ caller }) => ({ name: caller.token.name, role: caller.token.role }),
  }),
  route({
    method: 'get',
    path: '/tokens',
    operationId: 'listTokens',
    summary: 'API tokens (names and roles; the tokens themselves are never stored)',
    tag: 'access',
    roles: ADMINS,
    response: z.object({ items: z.array(tokenSchema) }),
    handler: async ({ deps }) => ({ items: deps.tokens.list() }),
  }),
  route({
    method: 'post',
    path: '/tokens',
    operationId: 'createToken',
    summary: 'Create a token; the answer is the only time the token is shown',
    tag: 'access',
    roles: ADMINS,
    body: z.object({ name, role: z.enum(ROLES) }).strict(),
    status: 201,
    response: z.object({ token: z.string(), record: tokenSchema, action: actionSchema }),
    async handler({ body, caller, deps }) {
      const created = await deps.tokens.create(body.name, body.role, caller.token.name);
      const action = deps.actions.record(caller.token, 'token.create', created.record.id, {
        name: body.name,
        role: body.role,
      });
      return { ...created, action };
    },
  }),
  route({
    method: 'delete',
    path: '/tokens/:id',
    operationId: 'revokeToken',
    summary: 'Revoke a token on every api instance',
    tag: 'access',
    roles: ADMINS,
    params: z.object({ id: z.string().min(1).max(64) }),
    response: z.object({ revoked: tokenSchema, action: actionSchema }),
    async handler({ params, caller, deps }) {
      const revoked = await deps.tokens.revoke(params.id);
      const action = deps.actions.record(caller.token, 'token.revoke', revoked.id, { name: revoked.name });
      return { revoked, action };
    },
  }),
  route({
    method: 'get',
    path: '/config',
    operationId: 'getConfig',
    summary: 'The effective configuration, secrets removed',
    tag: 'access',
    roles: ADMINS,
    response: z.object({ config: z.record(z.string(), z.unknown()) }),
    handler: async ({ deps }) => ({ config: deps.redactedConfig }),
  }),
  route({
    method: 'get',
    path: '/reports/standards',
    operationId: 'listStandards',
    summary: 'Standards a compliance report can be made for, with their requirements',
    tag: 'reports',
    roles: AUDITORS,
    response: z.object({
      items: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          version: z.string(),
          requirements: z.array(z.object({ id: z.string(), title: z.string() })),
        }),
      ),
    }),
    handler: async () => ({
      items: STANDARD_IDS.map((id) => {
        const s = STANDARDS[id];
        return {
          id,
          name: s.name,
          version: s.version,
          requirements: s.requirements.map((r) => ({ id: r.id, title: r.title })),
        };
      }),
    }),
  }),
  route({
    method: 'post',
    path: '/reports',
    operationId: 'exportReport',
    summary:
      'Build a compliance report for a range and scope, as JSON, CSV or PDF (digests, optional signature)',
    tag: 'reports',
    roles: AUDITORS,
    body: reportBody,
    response: z.unknown(),
    produces: Object.values(CONTENT_TYPES),
    async handler({ body, caller, deps }): Promise<FileAnswer> {
      const report = await buildReport({
        store: deps.store,
        standard: body.standard as keyof typeof STANDARDS,
        from: body.from,
        to: body.to,
        facts: deps.facts,
        sampleSize: deps.config.reports.sampleSize,
        maxRangeDays: deps.config.reports.maxRangeDays,
        now: deps.now(),
        ...(body.scope ? { scope: body.scope } : {}),
      });
      const signer = deps.signer;
      const file =
        body.format === 'pdf'
          ? await toPdf(report, signer)
          : body.format === 'csv'
            ? toCsv(report, signer)
            : toJson(report, signer);
      deps.actions.record(caller.token, 'report.export', body.standard, {
        format: body.format,
        from: body.from,
        to: body.to,
        contentDigest: contentDigest(report),
        signed: signer !== undefined,
      });
      const stamp = new Date(report.generatedAt).toISOString().replace(/[:.]/g, '-');
      return {
        kind: 'file',
        contentType: CONTENT_TYPES[body.format],
        filename: `sentinel-${body.standard}-${stamp}.${body.format}`,
        body: file,
      };
    },
  }),
];
