// The auth callout against the reference auth service backed by a real MariaDB.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authServiceConfigSchema, startAuthService, startMariadb, tempDir } from '@sentinel/infra';
import type { AuthService, Mariadb } from '@sentinel/infra';
import { HttpAuthenticator } from '../../src/policy/auth.ts';
import { authConfigSchema } from '../../src/policy/config.ts';
import type { ConnectIdentity } from '../../src/policy/types.ts';

const SECRET = 'q1w2e3r4t5y6u7i8o9p0aa';

const id = (clientId: string, password = SECRET, over: Partial<ConnectIdentity> = {}): ConnectIdentity => ({
  clientId,
  username: clientId,
  password: Buffer.from(password),
  ip: '127.0.0.1',
  port: 40000,
  protocolVersion: 5,
  transport: 'tcp',
  ...over,
});

describe('auth callout against the reference service and MariaDB', () => {
  const t = tempDir('sentinel-auth-');
  let db: Mariadb;
  let svc: AuthService;
  let dbConfig: ReturnType<typeof authServiceConfigSchema.parse>['db'];

  beforeAll(async () => {
    db = await startMariadb({ dir: `${t.dir}/mariadb`, bufferPoolMb: 32 });
    dbConfig = authServiceConfigSchema.parse({ db: { socketPath: db.socketPath } }).db;
    svc = await startAuthService({ db: dbConfig, port: 0 });
    for (let i = 1; i <= 5; i++)
      await svc.store.addDevice({ clientId: `dev-${i}`, username: `dev-${i}`, secret: SECRET });
    await svc.store.addDevice({ clientId: 'dev-off', secret: SECRET, enabled: false });
    await svc.store.addDevice({
      clientId: 'dev-gw',
      secret: SECRET,
      acl: { publish: { allow: ['gw/%c/#'] }, subscribe: { allow: ['gw/%c/cmd'] } },
    });
    await svc.store.addUser({ username: 'alice', password: 'a long human passphrase' });
  });

  afterAll(async () => {
    await svc?.stop().catch(() => undefined);
    await db?.stop();
    t.cleanup();
  });

  const authenticator = (url: string, over: Record<string, unknown> = {}) =>
    new HttpAuthenticator({ config: authConfigSchema.parse({ url, ...over }) });

  it('auth - the service allows good credentials with the default device ACL and denies the rest by reason', async () => {
    const a = authenticator(svc.url);
    try {
      const ok = await a.authenticate(id('dev-1'));
      expect([ok.allow, ok.reason]).toEqual([true, 'auth.ok']);
      expect(ok.acl?.publish?.allow).toEqual(['devices/%c/#']);
      expect((await a.authenticate(id('dev-gw'))).acl?.publish?.allow).toEqual(['gw/%c/#']);
      const cases: [ConnectIdentity, string][] = [
        [id('dev-2', 'wrong-secret'), 'auth.bad_credentials'],
        [id('dev-2', SECRET, { username: 'dev-3' }), 'auth.bad_credentials'],
        [id('nobody'), 'auth.unknown_client'],
        [id('dev-off'), 'auth.bad_credentials'],
        [id('dev-2', SECRET, { password: undefined }), 'auth.missing_credentials'],
      ];
      for (const [who, reason] of cases) {
        const r = await a.authenticate(who);
        expect([who.clientId, r.allow, r.reason]).toEqual([who.clientId, false, reason]);
      }
      const human = await a.authenticate(id('laptop-7', 'a long human passphrase', { username: 'alice' }));
      expect(human.allow).toBe(true);
    } finally {
      await a.close();
    }
  });

  it('auth - a repeated CONNECT is served from the cache without reaching the service', async () => {
    const a = authenticator(svc.url);
    try {
      const before = svc.stats.requests;
      expect((await a.authenticate(id('dev-2'))).cache).toBe('miss');
      for (let i = 0; i < 20; i++) expect((await a.authenticate(id('dev-2'))).cache).toBe('hit');
      expect((await a.authenticate(id('dev-2', 'wrong'))).cache).toBe('miss');
      expect(svc.stats.requests - before).toBe(2);
    } finally {
      await a.close();
    }
  });

  it('auth - 100 concurrent CONNECTs with the same credentials reach the service exactly once', async () => {
    const a = authenticator(svc.url);
    try {
      const before = svc.stats.requests;
      const rs = await Promise.all(Array.from({ length: 100 }, () => a.authenticate(id('dev-3'))));
      expect(rs.every((r) => r.allow)).toBe(true);
      expect(svc.stats.requests - before).toBe(1);
    } finally {
      await a.close();
    }
  });

  it('auth - with the service stopped, cached allows still pass and new identities are denied auth.unavailable', async () => {
    const a = authenticator(svc.url, { timeoutMs: 500 });
    const port = svc.port;
    try {
      expect((await a.authenticate(id('dev-4'))).allow).toBe(true);
      await svc.stop();
      const cached = await a.authenticate(id('dev-4'));
      expect([cached.allow, cached.cache]).toEqual([true, 'hit']);
      const fresh = await a.authenticate(id('dev-5'));
      expect([fresh.allow, fresh.reason]).toEqual([false, 'auth.unavailable']);
      // Back on the same port: the next attempt asks again (unavailability is never cached).
      svc = await startAuthService({ db: dbConfig, port });
      expect((await a.authenticate(id('dev-5'))).allow).toBe(true);
    } finally {
      await a.close();
    }
  });

  it('auth - an endpoint slower than the timeout denies with auth.unavailable in about the timeout', async () => {
    const slow: Server = createServer((_req, res) =>
      setTimeout(() => res.end('{"allow":true}'), 3000).unref(),
    );
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    const a = authenticator(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/auth`, {
      timeoutMs: 200,
    });
    try {
      const started = performance.now();
      const r = await a.authenticate(id('dev-1'));
      expect([r.allow, r.reason]).toEqual([false, 'auth.unavailable']);
      expect(performance.now() - started).toBeLessThan(1500);
    } finally {
      await a.close();
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });
});
