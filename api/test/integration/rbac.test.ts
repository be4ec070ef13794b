// Table-driven over the route table: every role may call exactly the routes that name it, is refused
// (403) on every other route, and nobody gets anywhere without a valid token (401).
import { ROLES, ROUTES } from '@sentinel/api';
import type { Role } from '@sentinel/api';
import { waitFor } from '@sentinel/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackScenario, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

let kit: Kit;
let incidentId = '';
beforeAll(async () => {
  kit = await startKit();
  await attackScenario(kit);
  incidentId = await waitFor(
    'an incident',
    async () => {
      const r = await kit.call('GET', '/api/v1/incidents?limit=1', kit.tokens.analyst);
      return (r.json as { items: { incidentId: string }[] }).items[0]?.incidentId;
    },
    { timeoutMs: 30_000 },
  );
});
afterAll(async () => kit?.close());

let n = 0;
/** A well-formed request for each operation; a new route without one fails the first test. */
const SAMPLES: Record<string, (role: Role) => { method: string; path: string; body?: unknown }> = {
  listIncidents: () => ({ method: 'GET', path: '/incidents?limit=5' }),
  getIncident: () => ({ method: 'GET', path: `/incidents/${incidentId}` }),
  updateIncident: () => ({
    method: 'PATCH',
    path: `/incidents/${incidentId}`,
    body: { notes: 'rbac check' },
  }),
  searchEvents: () => ({ method: 'GET', path: '/events?limit=5' }),
  listIdentities: () => ({ method: 'GET', path: '/identities' }),
  getIdentity: () => ({ method: 'GET', path: '/identities/ip/198.51.100.1?points=3' }),
  listBans: () => ({ method: 'GET', path: '/bans' }),
  createBan: (role) => ({
    method: 'POST',
    path: '/bans',
    body: { scope: 'client_id', value: `rbac-${role}-${++n}`, durationS: 60, reason: 'rbac test' },
  }),
  liftBan: (role) => ({ method: 'DELETE', path: `/bans/client_id/rbac-${role}-none` }),
  listQuarantine: () => ({ method: 'GET', path: '/quarantine' }),
  releaseQuarantined: () => ({ method: 'POST', path: '/quarantine/999999/release' }),
  discardQuarantined: () => ({ method: 'POST', path: '/quarantine/999999/discard' }),
  mitreCoverage: () => ({ method: 'GET', path: '/mitre/coverage' }),
  overview: () => ({ method: 'GET', path: '/overview' }),
  whoAmI: () => ({ method: 'GET', path: '/me' }),
  listTokens: () => ({ method: 'GET', path: '/tokens' }),
  createToken: (role) => ({
    method: 'POST',
    path: '/tokens',
    body: { name: `by-${role}-${++n}`, role: 'auditor' },
  }),
  revokeToken: () => ({ method: 'DELETE', path: '/tokens/01NOSUCHTOKEN0000000000000' }),
  getConfig: () => ({ method: 'GET', path: '/config' }),
  listStandards: () => ({ method: 'GET', path: '/reports/standards' }),
  exportReport: () => ({
    method: 'POST',
    path: '/reports',
    body: { standard: 'iec62443-4-2', from: Date.now() - 3_600_000, to: Date.now() + 60_000, format: 'json' },
  }),
};

describe('role-based access over the whole route table', () => {
  it('every route declares at least one role and has a sample request', () => {
    for (const r of ROUTES) {
      expect(r.roles.length, r.operationId).toBeGreaterThan(0);
      expect(SAMPLES[r.operationId], `sample for ${r.operationId}`).toBeDefined();
    }
  });

  const cases = ROUTES.flatMap((r) => ROLES.map((role) => ({ r, role, allowed: r.roles.includes(role) })));
  it.each(cases.map((c) => [c.r.operationId, c.role, c.allowed ? 'may' : 'may not', c] as const))(
    '%s: %s %s call it',
    async (_op, role, _may, c) => {
      const s = SAMPLES[c.r.operationId]?.(role);
      if (!s) throw new Error('no sample');
      const res = await kit.call(s.method, `/api/v1${s.path}`, kit.tokens[role], s.body);
      if (c.allowed) {
        expect(
          [401, 403],
          `${role} ${s.method} ${s.path}: ${res.bytes.toString().slice(0, 300)}`,
        ).not.toContain(res.status);
        expect(res.status, res.bytes.toString().slice(0, 300)).toBeLessThan(500);
        expect(res.status === 404 || res.status < 300, res.bytes.toString().slice(0, 300)).toBe(true);
      } else {
        expect(res.status).toBe(403);
        expect((res.json as { error: { code: string } }).error.code).toBe('FORBIDDEN');
      }
    },
  );

  it('without a token, or with a made-up or revoked one, every route answers 401', async () => {
    const made = `snt_${'A'.repeat(43)}`;
    for (const r of ROUTES) {
      const s = SAMPLES[r.operationId]?.('admin');
      if (!s) continue;
      expect((await kit.call(s.method, `/api/v1${s.path}`, undefined, s.body)).status).toBe(401);
      expect((await kit.call(s.method, `/api/v1${s.path}`, made, s.body)).status).toBe(401);
    }
    const created = await kit.call('POST', '/api/v1/tokens', kit.tokens.admin, {
      name: 'short-lived',
      role: 'analyst',
    });
    const { token, record } = created.json as { token: string; record: { id: string } };
    expect((await kit.call('GET', '/api/v1/me', token)).status).toBe(200);
    expect((await kit.call('DELETE', `/api/v1/tokens/${record.id}`, kit.tokens.admin)).status).toBe(200);
    expect((await kit.call('GET', '/api/v1/me', token)).status).toBe(401);
  });

  it('tokens are stored only as SHA-256 hashes: the bucket never holds a token', async () => {
    const { Kvm } = await import('@nats-io/kv');
    const kv = await new Kvm(kit.nc).open('sentinel_api_tokens');
    const values: string[] = [];
    for await (const key of await kv.keys()) {
      expect(key).toMatch(/^[0-9a-f]{64}$/);
      values.push(key, (await kv.get(key))?.string() ?? '');
    }
    for (const t of Object.values(kit.tokens)) expect(values.join('\n')).not.toContain(t);
  });
});
