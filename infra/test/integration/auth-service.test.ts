// The reference auth service over HTTP with a real MariaDB: answers, validation, populate.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authServiceConfigSchema,
  populateDevices,
  readCredentials,
  startAuthService,
  startMariadb,
  tempDir,
} from '../../src/index.ts';
import type { AuthService, Mariadb } from '../../src/index.ts';

describe('reference auth service on MariaDB', () => {
  const t = tempDir('sentinel-authsvc-');
  let db: Mariadb;
  let svc: AuthService;

  beforeAll(async () => {
    db = await startMariadb({ dir: `${t.dir}/mariadb`, bufferPoolMb: 32 });
    const cfg = authServiceConfigSchema.parse({ db: { port: db.port } });
    svc = await startAuthService({ db: cfg.db, port: 0, token: 'tkn' });
  });

  afterAll(async () => {
    await svc?.stop();
    await db?.stop();
    t.cleanup();
  });

  const post = async (
    body: unknown,
    token = 'tkn',
  ): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(svc.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('auth service - expired, certificate-bound and chosen-password devices answer as their rows say', async () => {
    await svc.store.addDevice({
      clientId: 'old',
      secret: 's-old-0123456789abcdef',
      expiresAt: new Date(Date.now() - 1000),
    });
    await svc.store.addDevice({
      clientId: 'bound',
      secret: 's-bound-0123456789abcd',
      certFingerprint: 'AA'.repeat(32),
    });
    await svc.store.addDevice({ clientId: 'human-dev', secret: 'my chosen words', alg: 'scrypt' });
    const soon = Date.now() + 3_600_000;
    await svc.store.addDevice({
      clientId: 'lease',
      secret: 's-lease-0123456789abcd',
      expiresAt: new Date(soon),
    });
    expect((await post({ clientId: 'old', password: 's-old-0123456789abcdef' })).json.reason).toBe(
      'auth.expired',
    );
    expect((await post({ clientId: 'bound', password: 's-bound-0123456789abcd' })).json.reason).toBe(
      'auth.cert_mismatch',
    );
    expect(
      (
        await post({
          clientId: 'bound',
          password: 's-bound-0123456789abcd',
          certFingerprint: 'aa'.repeat(32),
        })
      ).json.allow,
    ).toBe(true);
    expect((await post({ clientId: 'human-dev', password: 'my chosen words' })).json.allow).toBe(true);
    const lease = await post({ clientId: 'lease', password: 's-lease-0123456789abcd' });
    expect([lease.json.allow, lease.json.expiresAt]).toEqual([true, soon]);
    const [rows] = await svc.pool.query(
      'SELECT client_id, hash_alg FROM devices WHERE client_id IN (?, ?) ORDER BY client_id',
      ['bound', 'human-dev'],
    );
    expect(rows).toEqual([
      { client_id: 'bound', hash_alg: 'hmac-sha256' },
      { client_id: 'human-dev', hash_alg: 'scrypt' },
    ]);
  });

  const bad: [string, unknown, number][] = [
    ['not JSON', '{nope', 400],
    ['no client id', { password: 'x' }, 400],
    ['a client id that is not a string', { clientId: 7, password: 'x' }, 400],
    ['an oversized client id', { clientId: 'x'.repeat(300), password: 'x' }, 400],
  ];
  it.each(bad)('auth service - a request with %s is refused with %s', async (_n, body, status) => {
    expect((await post(body)).status).toBe(status);
  });

  it('auth service - a request without the bearer token is refused', async () => {
    expect((await post({ clientId: 'a', password: 'b' }, 'wrong')).status).toBe(401);
  });

  it('auth service - a client id carrying SQL is only ever data', async () => {
    const r = await post({ clientId: "x' OR '1'='1", password: "' OR 1=1 --" });
    expect(r.json).toEqual({ allow: false, reason: 'auth.unknown_client' });
  });

  it('auth service - populate creates N devices whose generated credentials authenticate, in a 0600 file', async () => {
    const file = `${t.dir}/data/auth/creds.csv`;
    const progress: number[] = [];
    const r = await populateDevices({
      pool: svc.pool,
      count: 20_000,
      prefix: 'pop-',
      file,
      rowsPerTransaction: 5000,
      onProgress: (done) => progress.push(done),
    });
    expect(r.count).toBe(20_000);
    expect(progress.at(-1)).toBe(20_000);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const creds = await readCredentials(file);
    expect(creds).toHaveLength(20_000);
    expect(new Set(creds.map((c) => c.secret)).size).toBe(20_000);
    for (const c of [creds[0], creds[9999], creds[19_999]]) {
      const ok = await post({ clientId: c?.clientId, username: c?.username, password: c?.secret });
      expect(ok.json.allow).toBe(true);
    }
    const wrong = await post({ clientId: creds[1]?.clientId, password: creds[2]?.secret });
    expect(wrong.json.reason).toBe('auth.bad_credentials');
    const [rows] = await svc.pool.query("SELECT COUNT(*) AS n FROM devices WHERE client_id LIKE 'pop-%'");
    expect(Number((rows as { n: number }[])[0]?.n)).toBe(20_000);
  });

  it('auth service - 500 random and mutated request bodies get 200 or 400, never a 500 or a hang', async () => {
    const base = JSON.stringify({ clientId: 'dev-x', username: 'u', password: 'p', ip: '127.0.0.1' });
    let seed = 3;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const statuses = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const b = Buffer.from(base);
      for (let k = 0, n = 1 + rnd(6); k < n; k++) b[rnd(b.length)] = rnd(256);
      const body = i % 5 === 0 ? Buffer.from(Array.from({ length: rnd(200) }, () => rnd(256))) : b;
      const res = await fetch(svc.url, {
        method: 'POST',
        headers: { authorization: 'Bearer tkn' },
        body,
        signal: AbortSignal.timeout(5000),
      });
      await res.arrayBuffer();
      statuses.add(res.status);
    }
    expect([...statuses].every((st) => st === 200 || st === 400)).toBe(true);
    expect(svc.stats.errors).toBe(0);
    expect((await post({ clientId: 'nobody', password: 'x' })).json.reason).toBe('auth.unknown_client');
  });
});
