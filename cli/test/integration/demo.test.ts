// The fleet demo and the attack scenarios as an operator runs them: `sentinel demo --keep` on free ports,
// then `sentinel inject` against it, both as real processes.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { tempDir } from '@sentinel/infra';
import { freePortConfig } from '../../free-ports.ts';
import { runSentinel } from '../support/sentinel.ts';
import type { SentinelProcess } from '../support/sentinel.ts';

describe('sentinel demo and sentinel inject', () => {
  const t = tempDir('sentinel-demo-');
  let demo: SentinelProcess;
  let file: string;

  beforeAll(async () => {
    file = join(t.dir, 'sentinel.yaml');
    writeFileSync(file, stringify((await freePortConfig(join(t.dir, 'state'))).yaml));
    demo = runSentinel(
      ['--config', file, 'demo', '--devices', '200', '--duration', '10', '--per-process', '100', '--keep'],
      { cwd: t.dir },
    );
    await demo.printed('keeps running', 240_000, 250);
  }, 300_000);

  afterAll(async () => {
    if (demo.child.exitCode === null) {
      demo.child.kill('SIGINT');
      await new Promise((r) => demo.child.once('exit', r));
    }
    t.cleanup();
  }, 120_000);

  it('every device subscribes through the enforcement node and gets only its own alerts', () => {
    const out = demo.out();
    expect(demo.child.exitCode, out).toBeNull();
    expect(out).toMatch(/devices subscribed {2}200 \/ 200/);
    expect(out).toMatch(/misrouted alerts {4}0\n/);
    const sent = Number(/alerts sent {9}(\d+)/.exec(out)?.[1]);
    const delivered = Number(/alerts delivered {4}(\d+)/.exec(out)?.[1]);
    expect(sent).toBeGreaterThan(3000);
    expect(delivered).toBe(sent);
    expect(out).toMatch(/delivery latency {4}P50 [\d.]+ ms {3}P95 [\d.]+ ms {3}P99 [\d.]+ ms/);
    // The demo's core broker is Mosquitto; the publisher records each alert in JetStream before sending.
    expect(out).toContain('core broker mosquitto');
    expect(out).toMatch(new RegExp(`SENTINEL_ALERTS holds ${sent} messages`));
  });

  it('sentinel inject shows every scenario detected, with its MITRE technique and the ban', async () => {
    const inject = runSentinel(['--config', file, 'inject'], { cwd: t.dir });
    const code = await new Promise<number | null>((r) => inject.child.once('exit', r));
    const out = inject.out();
    expect(out, out).toContain('7/7 scenarios detected');
    expect(code).toBe(0);
    for (const technique of ['T1110', 'T0814', 'T1190', 'T1499', 'T1027', 'T0846', 'T0859']) {
      expect(out).toContain(` ${technique} `);
    }
    expect(out).toMatch(/then {7}next CONNECT with the right password: refused \(CONNACK 5\)/);
    expect(out).toMatch(/ban {8}ip 127\.66\.\d+\.\d+ for \d+ s/);
  }, 240_000);

  it('stops the whole stack on Ctrl-C and prints the summary as JSON', async () => {
    demo.child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => demo.child.once('exit', r));
    const json = demo
      .out()
      .split('\n')
      .find((l) => l.startsWith('{"devices"'));
    expect(json).toBeDefined();
    expect(JSON.parse(json as string)).toMatchObject({
      devices: 200,
      connected: 200,
      misrouted: 0,
      missing: 0,
    });
    expect(code).toBe(0);
    expect(demo.out()).toContain('stopping core broker');
    expect(demo.out()).toContain('stopping nats-server');
  }, 120_000);
});

describe('sentinel demo --core-broker nats', () => {
  it('runs the fleet on nats-server MQTT, whose QoS 1 publishes land in the alert history themselves', async () => {
    const t = tempDir('sentinel-demo-nats-');
    try {
      const file = join(t.dir, 'sentinel.yaml');
      writeFileSync(file, stringify((await freePortConfig(join(t.dir, 'state'))).yaml));
      const demo = runSentinel(
        [
          '--config',
          file,
          'demo',
          '--core-broker',
          'nats',
          '--devices',
          '50',
          '--duration',
          '4',
          '--rate',
          '200',
        ],
        { cwd: t.dir },
      );
      const code = await new Promise<number | null>((r) => demo.child.once('exit', r));
      const out = demo.out();
      expect(code, out).toBe(0);
      expect(out).toContain('core broker nats');
      expect(out).toMatch(/devices subscribed {2}50 \/ 50/);
      expect(out).toMatch(/misrouted alerts {4}0\n/);
      const sent = Number(/alerts sent {9}(\d+)/.exec(out)?.[1]);
      expect(sent).toBeGreaterThan(600);
      expect(Number(/alerts delivered {4}(\d+)/.exec(out)?.[1])).toBe(sent);
      expect(out).toMatch(new RegExp(`SENTINEL_ALERTS holds ${sent} messages`));
    } finally {
      t.cleanup();
    }
  }, 240_000);
});
