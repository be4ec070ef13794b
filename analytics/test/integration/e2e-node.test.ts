// End to end through a real enforcement node: real MQTT clients brute-force bad passwords against the
// reference auth service (MariaDB) through the node; the node's decision events reach analytics over
// SENTINEL_EVENTS; analytics raises the T1110 incident, counts the strikes and puts the ban into the KV
// bucket; the node follows the bucket and refuses the attacker's next CONNECT with CONNACK 0x05, even
// with the right password, while other addresses still get in.
import { join } from 'node:path';
import type { IClientOptions } from 'mqtt';
import { banKey, publisherConfigSchema } from '@sentinel/ingest';
import type { BanDecisionV1 } from '@sentinel/ingest';
import {
  authServiceConfigSchema,
  connackCode,
  startAuthService,
  startMariadb,
  waitFor,
} from '@sentinel/infra';
import type { AuthService, Mariadb } from '@sentinel/infra';
import { enforcementConfigSchema, startEnforcementService } from '@sentinel/enforcement';
import type { EnforcementService } from '@sentinel/enforcement';
import { afterAll, describe, expect, it } from 'vitest';
import { listIncidents, startAnalytics, strikeCounts } from '@sentinel/analytics';
import type { AnalyticsService } from '@sentinel/analytics';
import { analyticsConfig, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

const SECRET = '0b5e2c7d9a8f6e4d3c2b1a0987654321';
const ATTACKER = '127.0.0.66';

/** CONNECT from a chosen loopback address; resolves with the CONNACK return code (0 = accepted). */
function connackFrom(localAddress: string, port: number, opts: IClientOptions): Promise<number> {
  return connackCode({ port, from: localAddress, connectTimeout: 5000, ...opts });
}

let kit: Kit | undefined;
let db: Mariadb | undefined;
let auth: AuthService | undefined;
let node: EnforcementService | undefined;
let svc: AnalyticsService | undefined;
afterAll(async () => {
  await node?.stop().catch(() => undefined);
  await svc?.stop().catch(() => undefined);
  await auth?.stop().catch(() => undefined);
  await db?.stop().catch(() => undefined);
  await kit?.close();
});

describe('analytics behind a real enforcement node', () => {
  it('a brute force over MQTT becomes a T1110 incident, a ban in KV, and CONNACK 0x05 for the attacker', async () => {
    kit = await startKit({ mqtt: true });
    const k = kit;
    db = await startMariadb({ dir: join(k.dir, 'mariadb'), bufferPoolMb: 32 });
    auth = await startAuthService({
      db: authServiceConfigSchema.parse({ db: { socketPath: db.socketPath } }).db,
      port: 0,
    });
    await auth.store.addDevice({ clientId: 'meter-1', username: 'meter-1', secret: SECRET });
    svc = await startAnalytics({
      analytics: analyticsConfig(),
      nats: k.nats,
      streams: k.streams,
      publisher: k.publisherCfg,
      dataDir: k.dir,
    });
    node = await startEnforcementService({
      config: enforcementConfigSchema.parse({
        tcp: { port: 0 },
        ws: { enabled: false, port: 0 },
        tls: { enabled: false, port: 0 },
        metricsPort: 0,
        upstream: { url: `mqtt://127.0.0.1:${k.server.mqttPort}` },
        auth: { url: auth.url, timeoutMs: 1000 },
      }),
      nats: k.nats,
      publisher: publisherConfigSchema.parse({}),
      dataDir: join(k.dir, 'node'),
      nodeName: 'e2e-edge',
    });
    const port = node.ports.tcp as number;
    const good = { clientId: 'meter-1', username: 'meter-1', password: SECRET };

    const refusals: number[] = [];
    for (let i = 0; i < 5; i++) {
      refusals.push(await connackFrom(ATTACKER, port, { ...good, password: `guess-${i}` }));
    }
    expect(refusals.every((c) => c === 4 || c === 5)).toBe(true); // bad user name or password / not authorized

    const entry = await waitFor('the ban in KV', async () => {
      const e = await k.bans.get(banKey('ip', ATTACKER));
      return e?.operation === 'PUT' ? e : undefined;
    });
    expect(entry.json<BanDecisionV1>()).toMatchObject({
      scope: 'ip',
      value: ATTACKER,
      reason: 'auth.brute_force',
      offense: 1,
    });

    // the incident is written beside the ban, not before it
    const [incident] = await waitFor('the incident', async () => {
      const list = await listIncidents(svc!.store, { rule: 'auth.brute_force', identity: ATTACKER });
      return list.length > 0 ? list : undefined;
    });
    expect(incident).toMatchObject({
      technique: 'T1110',
      tactic: 'Credential Access',
      scope: 'ip',
      eventCount: 5,
    });
    const strikes = await strikeCounts(svc.store, {
      windowS: 600,
      minSeverity: 3,
      scope: 'ip',
      identity: ATTACKER,
    });
    expect(strikes[0]?.strikes).toBeGreaterThanOrEqual(5);

    // the node follows the bucket: the attacker is refused even with the right password
    const banned = await waitFor(
      'the node refusing the attacker',
      async () => ((await connackFrom(ATTACKER, port, good)) === 5 ? 5 : undefined),
      { timeoutMs: 5000 },
    );
    expect(banned).toBe(5);
    expect(await connackFrom('127.0.0.1', port, good)).toBe(0);
    await waitFor('penalty.banned event stored', async () => {
      const rows = await svc!.store.query(
        'SELECT id FROM events_v1 WHERE reason = {r:String} AND ip = {ip:String}',
        {
          r: 'penalty.banned',
          ip: ATTACKER,
        },
      );
      return rows.length > 0;
    });
  });
});
