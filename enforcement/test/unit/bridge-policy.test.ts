import { describe, expect, it } from 'vitest';
import { parseConfig } from '@sentinel/ingest';
import {
  backoffDelay,
  bridgeConfigSchema,
  carriesHop,
  clientOptions,
  DEFAULT_BACKOFF,
  HOP_PROPERTY,
  withHop,
} from '../../src/bridge/index.ts';

describe('bridge backoff', () => {
  const p = { initialMs: 100, maxMs: 5_000, multiplier: 2, jitter: 0.5 };

  it('doubles per attempt up to the cap without jitter at random() = 0', () => {
    expect([1, 2, 3, 4, 10].map((a) => backoffDelay(a, p, () => 0))).toEqual([100, 200, 400, 800, 5_000]);
  });

  it('takes off at most the jitter fraction of the delay', () => {
    expect(backoffDelay(3, p, () => 0.999999)).toBe(200);
    for (let i = 0; i < 1000; i++) {
      const d = backoffDelay(1 + (i % 12), p);
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(5_000);
    }
  });

  it('spreads the delays of many bridges retrying at once', () => {
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelay(5, DEFAULT_BACKOFF)));
    expect(delays.size).toBeGreaterThan(50);
  });

  it('treats attempt 0 or a fraction like the first retry', () => {
    expect(backoffDelay(0, p, () => 0)).toBe(100);
    expect(backoffDelay(1.7, p, () => 0)).toBe(100);
  });
});

describe('bridge hop marker', () => {
  it('recognises this deployment in a single or repeated marker', () => {
    expect(carriesHop({ [HOP_PROPERTY]: 'd1' }, 'd1')).toBe(true);
    expect(carriesHop({ [HOP_PROPERTY]: ['d0', 'd1'] }, 'd1')).toBe(true);
    expect(carriesHop({ [HOP_PROPERTY]: 'd0' }, 'd1')).toBe(false);
    expect(carriesHop(undefined, 'd1')).toBe(false);
  });

  it('adds this deployment and keeps the other user properties', () => {
    expect(withHop(undefined, 'd1')).toEqual({ [HOP_PROPERTY]: 'd1' });
    expect(withHop({ a: 'b', [HOP_PROPERTY]: 'd0' }, 'd1')).toEqual({ a: 'b', [HOP_PROPERTY]: ['d0', 'd1'] });
  });
});

describe('bridge config', () => {
  const parse = (yamlText: string, env: Record<string, string> = {}) =>
    parseConfig(bridgeConfigSchema, {
      yamlText,
      env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v])),
    });

  it('has working defaults', () => {
    const c = parse('');
    expect(c.core.url).toBe('mqtt://127.0.0.1:1884');
    expect(c.origin.protocolVersion).toBe(5);
    expect(c.rules).toEqual([]);
  });

  it('names the bad rule at parse time', () => {
    expect(() =>
      parse(
        [
          'rules:',
          '  - { direction: out, from: clients/+/alerts, to: "customer/acme/alerts/{1}" }',
          '  - { direction: out, from: clients/+/x, to: "customer/{3}" }',
        ].join('\n'),
      ),
    ).toThrow(/rules\.1.*rule 1 \(out clients\/\+\/x -> customer\/\{3\}\): placeholder \{3\}/s);
  });

  it('refuses a loop through an MQTT 3.1.1 core broker, which cannot carry the hop marker', () => {
    const loop = [
      'rules:',
      '  - { direction: out, from: shared/#, to: "customer/shared/{1}" }',
      '  - { direction: in, from: customer/shared/#, to: "shared/{1}" }',
    ];
    expect(() => parse(loop.join('\n'))).toThrow(/would loop messages through the core broker/);
    expect(() => parse([...loop, 'core: { protocolVersion: 5 }'].join('\n'))).not.toThrow();
  });

  it('refuses a backoff cap below its start', () => {
    expect(() => parse('backoff: { initialMs: 1000, maxMs: 10 }')).toThrow(/backoff\.maxMs/);
  });

  it('takes rules from the environment as JSON', () => {
    const c = parse('', {
      SENTINEL_RULES: JSON.stringify([{ direction: 'in', from: 'c/+', to: 'd/{1}' }]),
    });
    expect(c.rules).toHaveLength(1);
  });

  it('asks the brokers for persistent sessions with fixed ids and a bounded receive window', () => {
    const c = parse('origin: { url: "wss://127.0.0.1:9/mqtt", clientId: edge-a }\nwindow: 16');
    const o = clientOptions(c.origin, 'sub', c.window);
    expect(o).toMatchObject({
      clientId: 'edge-a-sub',
      clean: false,
      protocolVersion: 5,
      reconnectPeriod: 0,
      rejectUnauthorized: true,
      properties: { receiveMaximum: 16 },
    });
    expect(o.properties?.sessionExpiryInterval).toBeGreaterThan(0);
    expect(clientOptions(c.core, 'pub', c.window).properties).toBeUndefined();
  });
});
