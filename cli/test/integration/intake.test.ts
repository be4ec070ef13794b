// `sentinel intake` as an operator runs it: the real command in its own process, configured by
// sentinel.yaml and SENTINEL_* variables, against a real nats-server; events sent over HTTP and over
// syslog (util-linux logger) land in SENTINEL_EVENTS; SIGTERM stops it cleanly.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  STREAMS,
  connectNats,
  ensureStreams,
  makeEvent,
  natsConfigSchema,
  streamsConfigSchema,
} from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { getFreePorts, startNats, tempDir, waitFor } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { runSentinel, SENTINEL_BIN } from '../support/sentinel.ts';
import type { SentinelProcess } from '../support/sentinel.ts';

const run = promisify(execFile);
const TOKEN = 'cli-intake-token-0123456789';

async function allEvents(nc: NatsConnection): Promise<DecisionEventV1[]> {
  const c = await jetstream(nc).consumers.get(STREAMS.events);
  const out: DecisionEventV1[] = [];
  for (;;) {
    const m = await c.next({ expires: 1000 });
    if (!m) return out;
    out.push(m.json<DecisionEventV1>());
    if (m.info.pending === 0) return out;
  }
}

describe('sentinel intake', () => {
  const t = tempDir('sentinel-intake-cli-');
  let nats: NatsServer;
  let nc: NatsConnection;
  let proc: SentinelProcess;
  let httpPort = 0;
  let tcpPort = 0;

  beforeAll(async () => {
    nats = await startNats({ dir: join(t.dir, 'nats'), mqttPort: 0 });
    nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }), { component: 'test' });
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    [httpPort, tcpPort] = (await getFreePorts(2)) as [number, number];
    const file = join(t.dir, 'sentinel.yaml');
    writeFileSync(
      file,
      stringify({
        dataDir: join(t.dir, 'state'),
        nats: { servers: [nats.url] },
        intake: { http: { enabled: true, port: httpPort }, syslog: { tcpPort } },
      }),
    );
    proc = runSentinel(['--config', file, 'intake'], {
      cwd: t.dir,
      // The token comes from the environment, as the README recommends, never from the file.
      env: { ...process.env, SENTINEL_INTAKE_HTTP_TOKEN: TOKEN },
    });
    await proc.printed('intake running', 60_000);
  }, 90_000);

  afterAll(async () => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
    await nc?.close().catch(() => undefined);
    await nats?.stop();
    t.cleanup();
  });

  it('sentinel intake - takes events over HTTP and syslog into SENTINEL_EVENTS and stops on SIGTERM', async () => {
    expect(proc.child.exitCode, proc.out()).toBeNull();
    expect(proc.out()).not.toContain(TOKEN);
    const sent = makeEvent({ node: 'gw-cli', reason: 'auth.bad_credentials', subject: { ip: '192.0.2.44' } });
    const res = await fetch(`http://127.0.0.1:${httpPort}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(sent),
    });
    expect(res.status).toBe(202);
    await run('logger', [
      '--server',
      '127.0.0.1',
      '--port',
      String(tcpPort),
      '--tcp',
      '--octet-count',
      '--rfc5424',
      '-t',
      'mosquitto',
      'Socket error on client sensor-12, disconnecting.',
    ]);
    let got: DecisionEventV1[] = [];
    await waitFor('both events in SENTINEL_EVENTS', async () => {
      got = await allEvents(nc);
      return got.length >= 2;
    });
    expect(got.find((e) => e.id === sent.id)).toEqual(sent);
    expect(got.find((e) => e.reason === 'disconnect.socket_error')).toMatchObject({
      node: expect.stringMatching(/^syslog:/) as unknown,
      subject: { clientId: 'sensor-12' },
    });
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toContain(
      'sentinel_ingest_intake_received_total{source="syslog_tcp",outcome="accepted"} 1',
    );
    proc.child.kill('SIGTERM');
    await waitFor('intake exits', () => proc.child.exitCode !== null, { timeoutMs: 20_000 });
    expect(proc.child.exitCode, proc.out()).toBe(0);
  });

  it('sentinel intake - refuses to start an HTTP listener without a token, naming the setting', async () => {
    const r = await run(process.execPath, [SENTINEL_BIN, 'intake', 'check'], {
      cwd: t.dir,
      // sentinel.yaml in cwd enables HTTP intake; no token anywhere.
      env: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => k !== 'SENTINEL_INTAKE_HTTP_TOKEN'),
      ),
    }).catch((err: { code: number; stderr: string }) => err);
    expect('code' in r && r.code).not.toBe(0);
    expect((r as { stderr: string }).stderr).toMatch(/intake\.http\.token is not set/);
  });
});
