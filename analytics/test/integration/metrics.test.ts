// Incident and ban counters are exposed at 0 per rule and per action/origin from the start, so
// Prometheus's increase() counts the first incident and the first ban instead of a series born with them.
import { Registry } from 'prom-client';
import { waitFor } from '@sentinel/infra';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRules, startAnalytics } from '@sentinel/analytics';
import type { AnalyticsService } from '@sentinel/analytics';
import { analyticsConfig, badLogin, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

let kit: Kit | undefined;
let svc: AnalyticsService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
  await kit?.close();
  kit = undefined;
});

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('analytics metrics', () => {
  it('every rule starts at 0 incidents and every ban action and origin at 0, then the first incident and ban count 1', async () => {
    kit = await startKit();
    const k = kit;
    const registry = new Registry();
    svc = await startAnalytics({
      analytics: analyticsConfig(),
      nats: k.nats,
      streams: k.streams,
      publisher: k.publisherCfg,
      dataDir: k.dir,
      registry,
    });
    let text = await registry.metrics();
    for (const rule of loadRules()) {
      expect(sample(text, `sentinel_analytics_incidents_total{rule="${rule.id}"}`), rule.id).toBe(0);
    }
    for (const origin of ['analytics', 'manual', 'config']) {
      expect(sample(text, `sentinel_analytics_decisions_total{action="ban",origin="${origin}"}`)).toBe(0);
      expect(sample(text, `sentinel_analytics_decisions_total{action="unban",origin="${origin}"}`)).toBe(0);
    }

    for (let i = 0; i < 5; i++) k.node.publish(badLogin('203.0.113.9', `admin${i}`));
    await k.node.flush();
    text = await waitFor('the first incident counted', async () => {
      const t = await registry.metrics();
      return sample(t, 'sentinel_analytics_incidents_total{rule="auth.brute_force"}') === 1 ? t : undefined;
    });
    await waitFor(
      'the first ban counted',
      async () =>
        sample(
          await registry.metrics(),
          'sentinel_analytics_decisions_total{action="ban",origin="analytics"}',
        ) === 1,
    );
    expect(sample(text, 'sentinel_analytics_incidents_total{rule="exploit.injection_payload"}')).toBe(0);
  });
});
