// The whole node with its real collaborators: the reference auth service on MariaDB, bans in the NATS KV
// bucket, events on SENTINEL_EVENTS, nats-server MQTT as the upstream, TLS with the development
// certificate and mutual TLS with device-bound certificates, MQTT over WebSocket, and mosquitto clients.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  banKey,
  BANS_BUCKET,
  connectNats,
  ensureStreams,
  natsConfigSchema,
  publisherConfigSchema,
  streamsConfigSchema,
  ulid,
} from '@sentinel/ingest';
import type { BanDecisionV1, DecisionEventV1 } from '@sentinel/ingest';
import { authServiceConfigSchema, startAuthService, startMariadb, startNats, tempDir } from '@sentinel/infra';
import type { AuthService, Mariadb, NatsServer } from '@sentinel/infra';
import { startEnforcementService } from '../../src/service.ts';
import type { EnforcementService } from '../../src/service.ts';
import { ensureDevCertificate, issueDeviceCertificate } from '../../src/transport/devcert.ts';
import type { DevCertificate } from '../../src/transport/devcert.ts';
import {
  connackOf,
  connectClient,
  connectFrom,
  endClient,
  followEvents,
  nodeConfig,
  until,
} from '../support/kit.ts';

const run = promisify(execFile);
const SECRET = 'f3a9c1d2e4b5a6978877665544332211';

describe('the node with the reference auth service, KV bans and JetStream events', () => {
  const t = tempDir('sentinel-node-');
  let nats: NatsServer;
  let db: Mariadb;
  let auth: AuthService;
  let svc: EnforcementService;
  let nc: NatsConnection;
  let kv: KV;
  let ca: DevCertificate;
  let stream: Awaited<ReturnType<typeof followEvents>>;
  let tcp: string;
  let brokerUrl: string;

  const seen = (pred: (e: DecisionEventV1) => boolean, what: string) =>
    until(what, () => stream.events.find(pred), 10_000);

  beforeAll(async () => {
    nats = await startNats({ dir: `${t.dir}/nats` });
    const natsCfg = natsConfigSchema.parse({ servers: [nats.url] });
    nc = await connectNats(natsCfg, { component: 'test' });
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    kv = await new Kvm(nc).open(BANS_BUCKET);
    db = await startMariadb({ dir: `${t.dir}/mariadb`, bufferPoolMb: 32 });
    auth = await startAuthService({
      db: authServiceConfigSchema.parse({ db: { socketPath: db.socketPath } }).db,
      port: 0,
    });
    for (let i = 1; i <= 9; i++)
      await auth.store.addDevice({ clientId: `dev-${i}`, username: `dev-${i}`, secret: SECRET });
    ca = await ensureDevCertificate(`${t.dir}/data/tls`);
    stream = await followEvents(nc);
    svc = await startEnforcementService({
      config: nodeConfig({
        upstream: { url: `mqtt://127.0.0.1:${nats.mqttPort}` },
        auth: { url: auth.url, timeoutMs: 500 },
        tls: { enabled: true, port: 0, clientCerts: 'optional' },
        certBinding: 'when-present',
        events: { summaryIntervalMs: 300 },
      }),
      nats: natsCfg,
      publisher: publisherConfigSchema.parse({}),
      dataDir: `${t.dir}/data`,
      nodeName: 'itest',
    });
    tcp = `mqtt://127.0.0.1:${svc.ports.tcp}`;
    brokerUrl = `mqtt://127.0.0.1:${nats.mqttPort}`;
  });

  afterAll(async () => {
    await stream?.stop().catch(() => undefined);
    await svc?.stop();
    await auth?.stop().catch(() => undefined);
    await db?.stop();
    await nc?.close();
    await nats?.stop();
    t.cleanup();
  });

  const creds = (i: number) => ({ clientId: `dev-${i}`, username: `dev-${i}`, password: SECRET });

  it('auth - good credentials connect (cache miss, then hit), publish reaches the broker, and every decision is on SENTINEL_EVENTS', async () => {
    const watcher = await connectClient(brokerUrl, { clientId: 'watch-1' });
    await watcher.subscribeAsync('devices/#', { qos: 1 });
    const got = new Promise<string>((r) => watcher.on('message', (topic) => r(topic)));
    const dev = await connectClient(tcp, { ...creds(1), protocolVersion: 4 });
    await dev.publishAsync('devices/dev-1/temp', '20', { qos: 1 });
    expect(await got).toBe('devices/dev-1/temp');
    await endClient(dev);
    const again = await connectClient(tcp, { ...creds(1), protocolVersion: 4 });
    await endClient(again);
    await endClient(watcher);
    const miss = await seen(
      (e) => e.reason === 'auth.ok' && e.subject.clientId === 'dev-1' && e.rule?.values?.cache === 'miss',
      'auth miss',
    );
    expect(miss.subject.ip).toBe('127.0.0.1');
    expect(JSON.stringify(miss)).not.toContain(SECRET);
    await seen(
      (e) => e.reason === 'auth.ok' && e.subject.clientId === 'dev-1' && e.rule?.values?.cache === 'hit',
      'auth hit',
    );
    await seen((e) => e.reason === 'connect.accepted' && e.subject.clientId === 'dev-1', 'connect.accepted');
    const sum = await seen(
      (e) => e.reason === 'publish.summary' && e.subject.clientId === 'dev-1',
      'publish.summary',
    );
    expect(sum.mqtt?.messages).toBe(1);
    await seen(
      (e) => e.reason === 'disconnect.client' && e.subject.clientId === 'dev-1',
      'disconnect.client',
    );
  });

  it('auth - a wrong secret gets CONNACK 0x04 on 3.1.1 and 0x86 on 5.0, with auth.bad_credentials events', async () => {
    expect(await connackOf(tcp, { ...creds(2), password: 'wrong', protocolVersion: 4 })).toBe(0x04);
    expect(await connackOf(tcp, { ...creds(2), password: 'wrong-too', protocolVersion: 5 })).toBe(0x86);
    const ev = await seen(
      (e) => e.reason === 'auth.bad_credentials' && e.subject.clientId === 'dev-2',
      'bad credentials',
    );
    expect(ev.kind).toBe('auth');
    expect(ev.rule?.technique ?? 'T1110').toBe('T1110');
  });

  it('mTLS - a device-bound certificate must match the client id; its fingerprint joins the identity', async () => {
    const cert4 = await issueDeviceCertificate(ca, 'dev-4');
    const tlsUrl = `mqtts://127.0.0.1:${svc.ports.tls}`;
    const tlsOpts = {
      ca: await readText(ca.caCert),
      cert: await readText(cert4.cert),
      key: await readText(cert4.key),
      servername: 'localhost',
    };
    const ok = await connectClient(tlsUrl, { ...creds(4), ...tlsOpts });
    await endClient(ok);
    const accepted = await seen(
      (e) => e.reason === 'connect.accepted' && e.subject.clientId === 'dev-4',
      'mtls accepted',
    );
    expect(accepted.subject.certFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(accepted.subject.transport).toBe('tls');
    expect(await connackOf(tlsUrl, { ...creds(5), ...tlsOpts })).toBe(0x05);
    await seen((e) => e.reason === 'auth.cert_mismatch' && e.subject.clientId === 'dev-5', 'cert mismatch');
  });

  it('TLS - mosquitto_sub and mosquitto_pub work through the node over TLS 1.2 and 1.3, ACLs applied', async () => {
    const tlsArgs = ['-h', '127.0.0.1', '-p', String(svc.ports.tls), '--cafile', ca.caCert];
    const sub = run('mosquitto_sub', [
      ...tlsArgs,
      '--tls-version',
      'tlsv1.2',
      '-i',
      'dev-6',
      '-u',
      'dev-6',
      '-P',
      SECRET,
      '-t',
      'clients/dev-6/alerts',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    await seen(
      (e) => e.reason === 'subscribe.granted' && e.subject.clientId === 'dev-6',
      'mosquitto_sub subscribed',
    );
    const admin = await connectClient(brokerUrl, { clientId: 'admin-6' });
    await admin.publishAsync('clients/dev-6/alerts', 'alarm', { qos: 1 });
    expect((await sub).stdout.trim()).toBe('alarm');
    const watcher = await connectClient(brokerUrl, { clientId: 'watch-7' });
    await watcher.subscribeAsync('devices/#', { qos: 0 });
    const topics: string[] = [];
    watcher.on('message', (topic) => topics.push(topic));
    const pub = [
      '--tls-version',
      'tlsv1.3',
      '-i',
      'dev-7',
      '-u',
      'dev-7',
      '-P',
      SECRET,
      '-q',
      '1',
      '-m',
      'x',
    ];
    await run('mosquitto_pub', [...tlsArgs, ...pub, '-t', 'devices/dev-7/ok']);
    await run('mosquitto_pub', [...tlsArgs, ...pub, '-t', 'devices/dev-1/spoofed']);
    await until('allowed publish', () => topics.includes('devices/dev-7/ok'));
    await seen((e) => e.reason === 'acl.publish_denied' && e.subject.clientId === 'dev-7', 'acl deny');
    expect(topics).not.toContain('devices/dev-1/spoofed');
    await endClient(admin);
    await endClient(watcher);
  });

  it('WebSocket - an mqtt.js client connects over ws:// and publishes through the node', async () => {
    const dev = await connectClient(`ws://127.0.0.1:${svc.ports.ws}/mqtt`, creds(8));
    await dev.publishAsync('devices/dev-8/ws', 'w', { qos: 1 });
    await endClient(dev);
    const ev = await seen(
      (e) => e.reason === 'connect.accepted' && e.subject.clientId === 'dev-8',
      'ws accepted',
    );
    expect(ev.subject.transport).toBe('ws');
  });

  it('inspection - an injection payload is acknowledged and dropped on 3.1.1, never reaches the broker, and is reported', async () => {
    const watcher = await connectClient(brokerUrl, { clientId: 'watch-i' });
    await watcher.subscribeAsync('devices/#', { qos: 0 });
    const seenTopics: string[] = [];
    watcher.on('message', (topic) => seenTopics.push(topic));
    // nats-server speaks MQTT 3.1.1 only; 5.0 answers (PUBACK 0x87) are shown against Mosquitto.
    const dev = await connectClient(tcp, { ...creds(5), protocolVersion: 4 });
    const code = await dev
      .publishAsync('devices/dev-5/report', '1 UNION SELECT username, password FROM users', { qos: 1 })
      .then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    await dev.publishAsync('devices/dev-5/clean', '{"t":21.5}', { qos: 1 });
    await until('clean message', () => seenTopics.includes('devices/dev-5/clean'));
    expect(code).toBe(0);
    expect(seenTopics).not.toContain('devices/dev-5/report');
    const ev = await seen(
      (e) => e.reason === 'inspect.sqli' && e.subject.clientId === 'dev-5',
      'inspect.sqli',
    );
    expect(ev.rule?.technique).toBe('T1190');
    await endClient(dev);
    await endClient(watcher);
  });

  it('inspection - a client id already connected from another address is refused as threat.stolen_client_id', async () => {
    const first = await connectClient(tcp, creds(6));
    const second = await connectFrom('127.0.0.9', svc.ports.tcp as number, {
      clientId: 'dev-6',
      username: 'dev-6',
      password: SECRET,
    }).then(
      (c) => (c.end(true), 0),
      (err: { code?: number }) => err.code ?? -1,
    );
    expect(second).not.toBe(0);
    await seen(
      (e) => e.reason === 'threat.stolen_client_id' && e.subject.ip === '127.0.0.9',
      'stolen client id',
    );
    await endClient(first);
  });

  it('penalty box - a ban put in the KV bucket closes the live session within 100 ms and later CONNECTs get 0x05', async () => {
    const dev = await connectClient(tcp, creds(3));
    const closed = new Promise<number>((r) => dev.once('close', () => r(Date.now())));
    const now = Date.now();
    const ban: BanDecisionV1 = {
      v: 1,
      id: ulid(),
      ts: now,
      action: 'ban',
      scope: 'client_id',
      value: 'dev-3',
      durationS: 600,
      until: now + 600_000,
      origin: 'manual',
      reason: 'test',
    };
    await kv.put(banKey(ban.scope, ban.value), JSON.stringify(ban));
    const putAt = Date.now();
    await closed;
    dev.end(true);
    // The node stamps the event when it closes the session: within 100 ms of the ban being in the bucket.
    const ev = await seen(
      (e) => e.reason === 'penalty.session_closed' && e.subject.clientId === 'dev-3',
      'session closed',
    );
    expect(ev.ts - putAt).toBeLessThan(100);
    expect(ev.rule?.values).toMatchObject({ scope: 'client_id', value: 'dev-3' });
    expect(await connackOf(tcp, { ...creds(3), protocolVersion: 4 })).toBe(0x05);
    expect(await connackOf(tcp, { ...creds(3), protocolVersion: 5 })).toBe(0x8a);
    await seen((e) => e.reason === 'penalty.banned' && e.subject.clientId === 'dev-3', 'banned');
  });

  it('auth - fail-closed: with the auth service down a new identity gets 0x03 (auth.unavailable) while cached allows still connect', async () => {
    const cached = await connectClient(tcp, creds(9));
    await endClient(cached);
    await auth.stop();
    expect(await connackOf(tcp, { ...creds(2), protocolVersion: 4 })).toBe(0x03);
    expect(await connackOf(tcp, { ...creds(2), protocolVersion: 5 })).toBe(0x88);
    await seen((e) => e.reason === 'auth.unavailable' && e.subject.clientId === 'dev-2', 'auth.unavailable');
    const still = await connectClient(tcp, creds(9));
    await endClient(still);
  });
});

async function readText(p: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return readFile(p, 'utf8');
}
