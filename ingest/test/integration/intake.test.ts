// External intake against a real nats-server: real HTTP requests, real syslog senders (util-linux
// `logger`, Node sockets) and a real Mosquitto whose log lines reach the intake through `logger`.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  STREAMS,
  intakeConfigSchema,
  makeEvent,
  silentLogger,
  startIntake,
} from '@sentinel/ingest';
import type { DecisionEventV1, IntakeService } from '@sentinel/ingest';
import {
  createTestPki,
  connackCode,
  connectDevice,
  getFreePorts,
  isListening,
  mosquittoConfig,
  waitFor,
} from '@sentinel/infra';
import { publisherConfig, readStream, startKit } from './kit.ts';
import type { NatsKit } from './kit.ts';

const run = promisify(execFile);

/** util-linux `logger` sending `text` under `tag` to 127.0.0.1, with the port and transport in `flags`. */
function logger(flags: string[], tag: string, text: string): Promise<unknown> {
  return run('logger', ['--server', '127.0.0.1', ...flags, '-t', tag, text]);
}
const TOKEN = 'test-intake-token-0123456789abcdef';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function kit(): Promise<NatsKit> {
  const k = await startKit();
  cleanups.push(() => k.close());
  return k;
}

async function intake(k: NatsKit, patch: Record<string, unknown>, pub = {}): Promise<IntakeService> {
  const svc = await startIntake({
    // metricsPort 0: a syslog-only intake would otherwise take the fixed default port.
    config: intakeConfigSchema.parse({ metricsPort: 0, ...patch }),
    nats: k.natsConfig,
    publisher: publisherConfig({ ackTimeoutMs: 500, ...pub }),
    dataDir: k.dir,
    log: silentLogger,
    nc: k.nc,
  });
  cleanups.push(() => svc.stop());
  return svc;
}

const httpOn = { http: { enabled: true, port: 0, token: TOKEN } };

function post(svc: IntakeService, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${svc.httpUrl}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

const ev = (i: number, reason: 'auth.bad_credentials' | 'rate.per_ip' = 'auth.bad_credentials') =>
  makeEvent({ node: 'gw-http', reason, subject: { ip: `198.51.100.${i % 250}`, clientId: `d${i}` } });

async function events(k: NatsKit): Promise<DecisionEventV1[]> {
  return (await readStream(k.nc, STREAMS.events)).data.map((d) => JSON.parse(d) as DecisionEventV1);
}

async function metric(svc: IntakeService, line: string): Promise<number> {
  const text = await svc.registry.metrics();
  const hit = text.split('\n').find((l) => l.startsWith(line + ' '));
  return hit ? Number(hit.slice(line.length + 1)) : NaN;
}

describe('HTTP intake', () => {
  it('one event, an array and NDJSON are answered 202 and land in SENTINEL_EVENTS, each id once', async () => {
    const k = await kit();
    const svc = await intake(k, httpOn);
    const single = ev(1);
    const array = [ev(2), ev(3, 'rate.per_ip')];
    const nd = [ev(4), ev(5)];
    const r1 = await post(svc, JSON.stringify(single));
    expect(r1.status).toBe(202);
    expect(await r1.json()).toEqual({ accepted: 1, published: 1, spooled: 0 });
    expect((await post(svc, JSON.stringify(array))).status).toBe(202);
    const r3 = await post(svc, nd.map((e) => JSON.stringify(e)).join('\n'), {
      'content-type': 'application/x-ndjson',
    });
    expect(await r3.json()).toMatchObject({ accepted: 2 });
    // The same batch again: JetStream's duplicate window keeps one copy of each id.
    expect((await post(svc, JSON.stringify(array))).status).toBe(202);
    const got = await events(k);
    expect(got.map((e) => e.id).sort()).toEqual([single, ...array, ...nd].map((e) => e.id).sort());
    expect(got.find((e) => e.id === single.id)).toEqual(single);
    expect(await metric(svc, 'sentinel_ingest_intake_received_total{source="http",outcome="accepted"}')).toBe(
      7,
    );
  });

  it('a batch with an invalid event is refused whole with 400 naming index, field and reason', async () => {
    const k = await kit();
    const svc = await intake(k, httpOn);
    const res = await post(svc, JSON.stringify([ev(1), { ...ev(2), subject: { port: 70000 } }]));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: '1 of 2 events are invalid; none was accepted',
      accepted: 0,
      problems: [{ index: 1, field: 'subject.port', problem: 'must be between 0 and 65535, got 70000' }],
    });
    expect(await events(k)).toEqual([]);
  });

  it('a missing or wrong token is 401, a body over the limit 413, GET on the route 405', async () => {
    const k = await kit();
    const svc = await intake(k, { http: { ...httpOn.http, maxBodyBytes: 2048 } });
    const body = JSON.stringify(ev(1));
    const noAuth = await fetch(`${svc.httpUrl}/v1/events`, { method: 'POST', body });
    expect(noAuth.status).toBe(401);
    expect(noAuth.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(svc, body, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    const big = JSON.stringify(Array.from({ length: 20 }, (_, i) => ev(i)));
    expect((await post(svc, big)).status).toBe(413);
    // Chunked, without a Content-Length: the limit holds while reading.
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const chunked = await fetch(`${svc.httpUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(
      (await fetch(`${svc.httpUrl}/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(405);
    expect(await events(k)).toEqual([]);
    expect(await metric(svc, 'sentinel_ingest_intake_received_total{source="http",outcome="refused"}')).toBe(
      4,
    );
  });

  it('serves /healthz and Prometheus /metrics', async () => {
    const k = await kit();
    const svc = await intake(k, httpOn);
    const health = await fetch(`${svc.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', publisher: 'live' });
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text();
    expect(text).toContain('sentinel_ingest_intake_received_total{source="syslog_tcp",outcome="unmapped"} 0');
    expect(text).toContain('sentinel_ingest_published_total');
  });

  it('speaks HTTPS when given a certificate and key', async () => {
    const k = await kit();
    const pki = await createTestPki(`${k.dir}/pki`);
    const svc = await intake(k, {
      http: { ...httpOn.http, tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey },
    });
    expect(svc.httpUrl).toMatch(/^https:/);
    const sent = ev(1);
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${svc.httpUrl}/v1/events`);
      const req = httpsRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          servername: 'localhost',
          ca: readFileSync(pki.caCert),
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(sent));
    });
    expect(status).toBe(202);
    expect((await events(k)).map((e) => e.id)).toEqual([sent.id]);
  });

  it('connections beyond maxConnections are closed on arrival', async () => {
    const k = await kit();
    const svc = await intake(k, { http: { ...httpOn.http, maxConnections: 2 } });
    const url = new URL(svc.httpUrl as string);
    const open = () =>
      new Promise<ReturnType<typeof connect>>((resolve) => {
        const s = connect(Number(url.port), url.hostname, () => resolve(s));
        s.on('error', () => undefined);
      });
    const held = [await open(), await open()];
    const third = await open();
    await new Promise<void>((resolve) => third.on('close', () => resolve()));
    held[0]?.destroy();
    await waitFor('a slot is free again', async () => (await fetch(`${svc.httpUrl}/healthz`)).status === 200);
    held[1]?.destroy();
  });

  it('with a small publisher spool, senders are told to back off before any accepted event is dropped', async () => {
    const k = await kit();
    const svc = await intake(k, httpOn, { spoolMaxBytes: 2 * 1024 * 1024 });
    await k.server.stop();
    let status = 202;
    let batches = 0;
    while (status === 202 && batches < 50) {
      const batch = Array.from({ length: 1000 }, (_, i) => ev(batches * 1000 + i));
      const res = await post(svc, JSON.stringify(batch));
      status = res.status;
      if (status === 202) batches++;
      else expect(await res.json()).toEqual({ error: 'intake is spooling while NATS is away; retry later' });
    }
    expect(status).toBe(503);
    expect(batches).toBeGreaterThan(0);
    expect(svc.publisher.getStats().spoolDropped).toBe(0);
    expect(await metric(svc, 'sentinel_ingest_intake_received_total{source="http",outcome="dropped"}')).toBe(
      0,
    );
  });

  it('refuses to start without a token, naming the setting', async () => {
    const k = await kit();
    await expect(intake(k, { http: { enabled: true, port: 0 } })).rejects.toThrow(ConfigError);
    await expect(intake(k, { http: { enabled: true, port: 0 } })).rejects.toThrow(/intake\.http\.token/);
  });

  it('while NATS is away accepted events are spooled (202), past the bound 503 + Retry-After, and all arrive once NATS is back', async () => {
    const k = await kit();
    const svc = await intake(k, { ...httpOn, maxSpoolBytes: 1024 * 1024, retryAfterS: 7 });
    await k.server.stop();
    const sent: DecisionEventV1[] = [];
    let spooled = 0;
    // About 330 bytes per event on the spool: a few batches of 1000 reach the 1 MiB bound.
    let busy: Response | undefined;
    for (let b = 0; b < 20 && !busy; b++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ev(b * 1000 + i));
      const res = await post(svc, JSON.stringify(batch));
      if (res.status === 503) busy = res;
      else {
        expect(res.status).toBe(202);
        spooled += ((await res.json()) as { spooled: number }).spooled;
        sent.push(...batch);
      }
    }
    expect(sent.length).toBeGreaterThanOrEqual(2000);
    expect(spooled).toBe(sent.length);
    expect(busy?.status).toBe(503);
    expect(busy?.headers.get('retry-after')).toBe('7');
    // A batch that no longer fits is turned away; health says the publisher is spooling.
    expect(await (await fetch(`${svc.httpUrl}/healthz`)).json()).toMatchObject({ status: 'spooling' });
    await k.server.restart();
    await waitFor('spool drained', () => svc.publisher.getStats().mode === 'live', { timeoutMs: 60_000 });
    const got = await events(k);
    expect(new Set(got.map((e) => e.id))).toEqual(new Set(sent.map((e) => e.id)));
  });
});

describe('syslog intake', () => {
  const ports = async () => {
    const [udp, tcp] = await getFreePorts(2);
    return { udpPort: udp as number, tcpPort: tcp as number };
  };

  async function eventsWhere(
    k: NatsKit,
    n: number,
    pred: (e: DecisionEventV1) => boolean,
  ): Promise<DecisionEventV1[]> {
    let found: DecisionEventV1[] = [];
    await waitFor(`${n} matching events in SENTINEL_EVENTS`, async () => {
      found = (await events(k)).filter(pred);
      return found.length >= n;
    });
    return found;
  }

  it('Mosquitto lines sent by `logger` over UDP, TCP with octet counting and TCP with newlines become events', async () => {
    const k = await kit();
    const p = await ports();
    const svc = await intake(k, { syslog: p });
    const send = (args: string[], text: string) => logger(['--rfc5424', ...args], 'mosquitto', text);
    await send(['--udp', '--port', String(p.udpPort)], 'New connection from 203.0.113.9:50001 on port 1883.');
    await send(
      ['--tcp', '--octet-count', '--port', String(p.tcpPort)],
      'Sending CONNACK to 203.0.113.9 (0, 5)',
    );
    await send(
      ['--tcp', '--octet-count', '--port', String(p.tcpPort)],
      'Client <unknown> disconnected, not authorised.',
    );
    await send(
      ['--tcp', '--port', String(p.tcpPort)],
      "New client connected from 203.0.113.10:50002 as meter-1 (p2, c1, k60, u'ops').",
    );
    await send(['--udp', '--port', String(p.udpPort)], 'the kernel says hello');
    const got = await eventsWhere(k, 3, (e) => e.node.startsWith('syslog:'));
    const byReason = Object.fromEntries(got.map((e) => [e.reason, e]));
    expect(byReason['intake.connection_opened']?.subject).toEqual({
      ip: '203.0.113.9',
      port: 50001,
      transport: 'tcp',
    });
    // UDP and TCP come from the same host, so the refusal is joined to the address only if both arrive in
    // order; `logger` sends them one after the other here.
    expect(byReason['auth.bad_credentials']).toMatchObject({
      kind: 'auth',
      decision: 'deny',
      subject: { ip: '203.0.113.9', port: 50001 },
    });
    expect(byReason['connect.accepted']?.subject).toMatchObject({
      clientId: 'meter-1',
      username: 'ops',
      protocolVersion: 4,
    });
    await waitFor(
      'unknown line counted',
      async () =>
        (await metric(
          svc,
          'sentinel_ingest_intake_received_total{source="syslog_udp",outcome="unmapped"}',
        )) === 1,
    );
  });

  it('an RFC 5424 MSG holding a DecisionEventV1 is validated: a good one is published under a syslog: node, a bad one is counted', async () => {
    const k = await kit();
    const p = await ports();
    const svc = await intake(k, { syslog: p });
    const good = makeEvent({ node: 'edge-4', reason: 'inspect.cmdi', subject: { ip: '10.0.0.4' } });
    await logger(
      ['--port', String(p.tcpPort), '--tcp', '--octet-count', '--rfc5424'],
      'sentinel',
      JSON.stringify(good),
    );
    await logger(
      ['--port', String(p.tcpPort), '--tcp', '--octet-count', '--rfc5424'],
      'sentinel',
      JSON.stringify({ ...good, kind: 'nope' }),
    );
    const [got] = await eventsWhere(k, 1, (e) => e.id === good.id);
    expect(got?.node).toMatch(/^syslog:[^/]+\/edge-4$/);
    expect({ ...got, node: good.node }).toEqual(good);
    await waitFor(
      'invalid counted',
      async () =>
        (await metric(
          svc,
          'sentinel_ingest_intake_received_total{source="syslog_tcp",outcome="invalid"}',
        )) === 1,
    );
  });

  it('a TCP sender with an oversized octet count is cut off; other connections keep working; senders outside allowFrom are refused', async () => {
    const k = await kit();
    const p = await ports();
    const svc = await intake(k, { syslog: { ...p, maxMessageBytes: 1024, allowFrom: ['127.0.0.0/8'] } });
    const bad = connect(p.tcpPort, '127.0.0.1');
    const closed = new Promise<void>((resolve) => bad.on('close', () => resolve()));
    bad.on('error', () => undefined);
    bad.write(`999999 ${'x'.repeat(5000)}`);
    await closed;
    const good = connect(p.tcpPort, '127.0.0.1');
    good.write('<30>Nov 21 23:00:00 edge-3 mosquitto[1]: Client c-1 closed its connection.\n');
    good.end();
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) =>
      udp.send('<30>Nov 21 23:00:00 edge-3 mosquitto: Client c-2 disconnected.', p.udpPort, '127.0.0.1', () =>
        resolve(),
      ),
    );
    udp.close();
    const got = await eventsWhere(k, 2, (e) => e.node === 'syslog:edge-3');
    expect(got.map((e) => e.reason).sort()).toEqual(['disconnect.client', 'disconnect.socket_closed']);
    expect(
      await metric(
        svc,
        'sentinel_ingest_intake_framing_errors_total{transport="tcp",error="oversized_frame"}',
      ),
    ).toBe(1);
    await svc.stop();

    // Same ports, an allow list that excludes loopback: nothing gets in.
    const k2 = await kit();
    const svc2 = await intake(k2, { syslog: { ...p, allowFrom: ['10.0.0.0/8'] } });
    const s = createSocket('udp4');
    await new Promise<void>((resolve) =>
      s.send('<30>Nov 21 23:00:00 e mosquitto: Client z disconnected.', p.udpPort, '127.0.0.1', () =>
        resolve(),
      ),
    );
    s.close();
    await waitFor(
      'refused counted',
      async () =>
        (await metric(
          svc2,
          'sentinel_ingest_intake_received_total{source="syslog_udp",outcome="refused"}',
        )) === 1,
    );
    expect(await events(k2)).toEqual([]);
  });
});

describe('syslog intake backpressure', () => {
  it('a TCP sender is paused while the spool is past its bound and resumed when NATS is back, losing nothing', async () => {
    const k = await kit();
    const [tcpPort, metricsPort] = (await getFreePorts(2)) as [number, number];
    const svc = await intake(k, { syslog: { tcpPort }, maxSpoolBytes: 1024 * 1024, metricsPort });
    await k.server.stop();
    const N = 8000;
    const frame = (i: number): string => {
      const msg = `<30>1 - bp-host mosquitto - - - Client dev-${i} closed its connection.`;
      return `${Buffer.byteLength(msg)} ${msg}`;
    };
    const lines = (from: number, to: number): string =>
      Array.from({ length: to - from }, (_, i) => frame(from + i)).join('');
    const sock = connect(tcpPort, '127.0.0.1');
    sock.on('error', () => undefined);
    const accepted = () =>
      metric(svc, 'sentinel_ingest_intake_received_total{source="syslog_tcp",outcome="accepted"}');
    // The first half fills the spool past its bound; the second half then stays unread.
    sock.write(lines(0, N / 2));
    await waitFor('first half spooled', async () => (await accepted()) === N / 2);
    expect(svc.publisher.getStats().spoolBytes).toBeGreaterThan(1024 * 1024);
    // The syslog-only health endpoint says senders are being held back.
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'busy', publisher: 'spooling' });
    sock.write(lines(N / 2, N));
    await new Promise((r) => setTimeout(r, 1500));
    const last = await accepted();
    expect(last).toBeLessThan(N);
    await k.server.restart();
    await waitFor('every line accepted', async () => (await accepted()) === N, { timeoutMs: 60_000 });
    await waitFor('spool drained', () => svc.publisher.getStats().mode === 'live', { timeoutMs: 60_000 });
    sock.end();
    const got = await events(k);
    expect(new Set(got.map((e) => e.subject.clientId)).size).toBe(N);
  });
});

describe('syslog intake behind a real Mosquitto', () => {
  it('a device failing auth at Mosquitto becomes auth.bad_credentials with its address in SENTINEL_EVENTS', async () => {
    const k = await kit();
    const [tcpPort, mqttPort] = (await getFreePorts(2)) as [number, number];
    await intake(k, { syslog: { tcpPort } });
    const dir = `${k.dir}/mosquitto`;
    mkdirSync(dir, { recursive: true });
    await run('mosquitto_passwd', ['-c', '-b', `${dir}/passwd`, 'alice', 'correct-horse']);
    writeFileSync(`${dir}/acl`, 'user alice\ntopic write ok/#\n');
    writeFileSync(
      `${dir}/mosquitto.conf`,
      mosquittoConfig({
        port: mqttPort,
        passwordFile: `${dir}/passwd`,
        aclFile: `${dir}/acl`,
        // As root Mosquitto would switch to its own user and lose access to the test folder.
        ...(process.getuid?.() === 0 ? { user: 'root' } : {}),
        // What an operator sets for syslog: every line, without the file's time prefix.
        extra: ['log_type all', 'log_timestamp false'],
      }),
    );
    // Mosquitto's log on stdout, forwarded line by line by util-linux logger (RFC 5424, octet counting):
    // the same text `log_dest syslog` hands to the local syslog daemon.
    // stdbuf: a piped stdout is block-buffered; the syslog destination writes each line at once.
    const broker = spawn('stdbuf', ['-oL', 'mosquitto', '-c', `${dir}/mosquitto.conf`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const fwd = spawn(
      'logger',
      [
        '--server',
        '127.0.0.1',
        '--port',
        String(tcpPort),
        '--tcp',
        '--octet-count',
        '--rfc5424',
        '-t',
        'mosquitto',
      ],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    broker.stdout.pipe(fwd.stdin);
    cleanups.push(async () => {
      const exited = (c: ChildProcess) =>
        c.exitCode !== null ? Promise.resolve() : new Promise((resolve) => c.once('exit', resolve));
      broker.kill('SIGTERM');
      fwd.kill('SIGTERM');
      await Promise.all([exited(broker), exited(fwd)]);
    });
    await waitFor('mosquitto listening', () => isListening(mqttPort));

    const from = '127.20.0.7';
    expect(
      await connackCode({ port: mqttPort, from, clientId: 'meter-9', username: 'alice', password: 'wrong' }),
    ).toBe(5);
    const ok = await connectDevice({
      port: mqttPort,
      from: '127.20.0.8',
      clientId: 'meter-10',
      username: 'alice',
      password: 'correct-horse',
    });
    await ok.publishAsync('plant/valve/set', 'open', { qos: 1 });
    await ok.endAsync();

    const want = ['auth.bad_credentials', 'connect.accepted', 'acl.publish_denied', 'disconnect.client'];
    let got: DecisionEventV1[] = [];
    await waitFor('the broker lines as events', async () => {
      got = (await events(k)).filter((e) => e.node.startsWith('syslog:'));
      return want.every((r) => got.some((e) => e.reason === r));
    });
    const denied = got.find((e) => e.reason === 'auth.bad_credentials');
    expect(denied).toMatchObject({
      kind: 'auth',
      decision: 'deny',
      subject: { ip: from },
      rule: { technique: 'T1110', values: { connackCode: 5 } },
    });
    expect(denied?.subject.port).toBeGreaterThan(0);
    expect(got.find((e) => e.reason === 'connect.accepted')?.subject).toMatchObject({
      ip: '127.20.0.8',
      clientId: 'meter-10',
      username: 'alice',
    });
    expect(got.find((e) => e.reason === 'acl.publish_denied')).toMatchObject({
      subject: { clientId: 'meter-10', ip: '127.20.0.8' },
      mqtt: { topic: 'plant/valve/set', qos: 1, payloadSize: 4 },
    });
    expect(got.every((e) => e.node === got[0]?.node && !e.node.includes(' '))).toBe(true);
  });
});

describe('syslog intake behind rsyslog forwarding', () => {
  it('the rsyslog action in the README forwards Mosquitto lines that become events', async () => {
    const k = await kit();
    const [tcpPort, inPort] = (await getFreePorts(2)) as [number, number];
    await intake(k, { syslog: { tcpPort } });
    const dir = `${k.dir}/rsyslog`;
    mkdirSync(`${dir}/work`, { recursive: true });
    writeFileSync(
      `${dir}/rsyslog.conf`,
      [
        `global(workDirectory="${dir}/work")`,
        'module(load="imudp")',
        `input(type="imudp" address="127.0.0.1" port="${inPort}")`,
        // The README's forwarding rule, verbatim but for the target.
        "if $programname == 'mosquitto' then {",
        `  action(type="omfwd" target="127.0.0.1" port="${tcpPort}" protocol="tcp"`,
        '         TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"',
        '         queue.type="LinkedList" queue.filename="sentinel_fwd" queue.saveOnShutdown="on"',
        '         action.resumeRetryCount="-1")',
        '}',
      ].join('\n') + '\n',
    );
    const rsyslog = spawn('rsyslogd', ['-n', '-f', `${dir}/rsyslog.conf`, '-i', `${dir}/rsyslogd.pid`], {
      stdio: 'ignore',
    });
    cleanups.push(async () => {
      rsyslog.kill('SIGTERM');
      if (rsyslog.exitCode === null) await new Promise((resolve) => rsyslog.once('exit', resolve));
    });
    const line = 'Client dev-77 has exceeded timeout, disconnecting.';
    let got: DecisionEventV1[] = [];
    // rsyslog needs a moment to open its input; a datagram before that is lost, so send until one lands.
    await waitFor('the forwarded line as an event', async () => {
      await logger(['--port', String(inPort), '--udp'], 'mosquitto', line);
      got = (await events(k)).filter((e) => e.reason === 'protocol.keepalive_timeout');
      return got.length > 0;
    });
    expect(got[0]).toMatchObject({
      node: expect.stringMatching(/^syslog:/) as unknown,
      subject: { clientId: 'dev-77' },
    });
  });
});

const KAFKA = process.env.SENTINEL_TEST_KAFKA_BROKERS;
const KAFKA_SKIP = KAFKA
  ? ''
  : ' (skipped: SENTINEL_TEST_KAFKA_BROKERS is not set, and no Kafka broker can be installed on this machine)';

describe('Kafka intake', () => {
  it('with no broker reachable intake fails to start, naming the brokers, and leaves no listener behind', async () => {
    const k = await kit();
    const [dead, tcpPort] = (await getFreePorts(2)) as [number, number];
    const brokers = [`127.0.0.1:${dead}`];
    await expect(intake(k, { syslog: { tcpPort }, kafka: { enabled: true, brokers } })).rejects.toThrow(
      `Kafka intake could not join 127.0.0.1:${dead}`,
    );
    expect(await isListening(tcpPort)).toBe(false);
  });

  it.skipIf(!KAFKA)(
    `events produced to a topic land in SENTINEL_EVENTS and an invalid message is counted, not published${KAFKA_SKIP}`,
    async () => {
      const { Kafka, logLevel } = await import('kafkajs');
      const brokers = (KAFKA ?? '').split(',');
      const topic = `sentinel-intake-test-${Date.now()}`;
      const kafka = new Kafka({ clientId: 'sentinel-test', brokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const list = [ev(1), ev(2), ev(3)];
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic,
        messages: [
          { value: JSON.stringify(list[0]) },
          { value: JSON.stringify(list.slice(1)) },
          { value: JSON.stringify({ ...ev(4), kind: 'nope' }) },
        ],
      });
      await producer.disconnect();
      const k = await kit();
      const svc = await intake(k, {
        kafka: { enabled: true, brokers, topics: [topic], groupId: `g-${topic}`, fromBeginning: true },
      });
      await waitFor(
        'three events and one invalid message',
        async () => {
          const got = await events(k);
          const invalid = await metric(
            svc,
            'sentinel_ingest_intake_received_total{source="kafka",outcome="invalid"}',
          );
          return got.length === 3 && invalid === 1;
        },
        { timeoutMs: 60_000 },
      );
      expect((await events(k)).map((e) => e.id).sort()).toEqual(list.map((e) => e.id).sort());
    },
  );
});
