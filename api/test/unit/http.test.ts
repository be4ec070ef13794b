import { describe, expect, it } from 'vitest';
import {
  BoundedQueue,
  RateLimiter,
  ROUTES,
  decodeCursor,
  encodeCursor,
  hashToken,
  looksLikeToken,
  matches,
  newToken,
  openApiDocument,
  openApiPath,
  filterSchema,
  bearer,
} from '../../src/index.ts';
import { makeEvent } from '@sentinel/ingest';

describe('route table', () => {
  it('every route names at least one role, a unique operation id and a path under a resource', () => {
    const ids = new Set<string>();
    for (const r of ROUTES) {
      expect(r.roles.length, r.operationId).toBeGreaterThan(0);
      expect(ids.has(r.operationId)).toBe(false);
      ids.add(r.operationId);
      expect(r.path).toMatch(/^\/[a-z]/);
    }
  });

  it('the OpenAPI document has one operation per route, with its roles and bearer security', () => {
    const doc = openApiDocument(ROUTES) as { paths: Record<string, Record<string, { 'x-roles': string[] }>> };
    const ops = Object.entries(doc.paths).flatMap(([p, m]) => Object.keys(m).map((k) => `${k} ${p}`));
    expect(ops.sort()).toEqual(ROUTES.map((r) => `${r.method} /api/v1${openApiPath(r.path)}`).sort());
    for (const r of ROUTES) {
      expect(doc.paths[`/api/v1${openApiPath(r.path)}`]?.[r.method]?.['x-roles']).toEqual([...r.roles]);
    }
  });
});

describe('rate limiter', () => {
  it('lets a burst through, then asks to wait, and refills at the rate', () => {
    const l = new RateLimiter({ rate: 2, burst: 3, maxBuckets: 100 });
    expect([l.take('a', 0), l.take('a', 0), l.take('a', 0)]).toEqual([0, 0, 0]);
    expect(l.take('a', 0)).toBe(1);
    expect(l.take('b', 0)).toBe(0);
    expect(l.take('a', 500)).toBe(0);
    expect(l.take('a', 500)).toBeGreaterThan(0);
  });

  it('keeps at most maxBuckets buckets, dropping the least recently used', () => {
    const l = new RateLimiter({ rate: 1, burst: 1, maxBuckets: 100 });
    for (let i = 0; i < 1000; i++) l.take(`k${i}`, 0);
    expect(l.size).toBe(100);
  });
});

describe('cursors', () => {
  it('round-trip and refuse tampering or another sort', () => {
    const c = encodeCursor({ s: 'severity', o: 'desc', k: 7, id: '01ABC' });
    expect(decodeCursor(c, 'severity', 'desc')).toEqual({ s: 'severity', o: 'desc', k: 7, id: '01ABC' });
    expect(() => decodeCursor(c, 'lastSeen', 'desc')).toThrow(/issued for sort severity/);
    expect(() => decodeCursor(c, 'severity', 'asc')).toThrow();
    expect(() => decodeCursor('bm90IGpzb24', 'severity', 'desc')).toThrow(/not a cursor/);
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.from(Array.from({ length: 1 + (i % 40) }, () => Math.floor(Math.random() * 256)));
      try {
        decodeCursor(junk.toString('base64url'), 'severity', 'desc');
      } catch (err) {
        expect((err as Error).name).toBe('ValidationError');
      }
    }
  });
});

describe('tokens', () => {
  it('carry 256 random bits behind the snt_ prefix and hash to 64 hex characters', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const t = newToken();
      expect(looksLikeToken(t)).toBe(true);
      expect(Buffer.from(t.slice(4), 'base64url')).toHaveLength(32);
      seen.add(t);
    }
    expect(seen.size).toBe(200);
    expect(hashToken('snt_x')).toMatch(/^[0-9a-f]{64}$/);
    expect(looksLikeToken('snt_short')).toBe(false);
  });

  it('are read from the Authorization header only in the Bearer form', () => {
    expect(bearer('Bearer snt_abc')).toBe('snt_abc');
    expect(bearer('bearer   snt_abc ')).toBe('snt_abc');
    expect(bearer('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearer(undefined)).toBeUndefined();
  });
});

describe('live stream queue and filters', () => {
  it('drops the oldest when full and announces the gap before the next message', () => {
    const q = new BoundedQueue(3);
    for (let i = 1; i <= 7; i++) q.push(`m${i}`);
    expect(q.next()).toBe('{"type":"gap","missed":4}');
    expect([q.next(), q.next(), q.next(), q.next()]).toEqual(['m5', 'm6', 'm7', undefined]);
  });

  it('filters by type, kind, severity and identity', () => {
    const e = makeEvent({
      node: 'n',
      reason: 'auth.bad_credentials',
      subject: { ip: '192.0.2.1', clientId: 'c1' },
    });
    const f = (x: unknown) => filterSchema.parse(x);
    expect(matches(f({}), { type: 'event', data: e })).toBe(true);
    expect(matches(f({ types: ['incident'] }), { type: 'event', data: e })).toBe(false);
    expect(matches(f({ kinds: ['acl'] }), { type: 'event', data: e })).toBe(false);
    expect(matches(f({ kinds: ['auth'], identity: 'c1' }), { type: 'event', data: e })).toBe(true);
    expect(matches(f({ identity: 'c2' }), { type: 'event', data: e })).toBe(false);
    expect(matches(f({ minSeverity: 10 }), { type: 'event', data: e })).toBe(false);
  });
});

describe('metrics exposition', () => {
  it('merges registries that hold the same metric name into one family, summing by labels', async () => {
    const { Counter, Registry } = await import('prom-client');
    const { exposition } = await import('../../src/metrics.ts');
    const a = new Registry();
    const b = new Registry();
    for (const [r, n] of [
      [a, 2],
      [b, 3],
    ] as const) {
      new Counter({ name: 'sentinel_test_total', help: 'h', labelNames: ['stream'], registers: [r] }).inc(
        { stream: 'S' },
        n,
      );
    }
    new Counter({ name: 'sentinel_only_b_total', help: 'h', registers: [b] }).inc();
    const text = await exposition([a, b, a]);
    expect(text.match(/# HELP sentinel_test_total/g)).toHaveLength(1);
    expect(text).toContain('sentinel_test_total{stream="S"} 5');
    expect(text).toContain('sentinel_only_b_total 1');
  });
});
