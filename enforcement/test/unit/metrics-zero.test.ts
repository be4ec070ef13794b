// Label sets the node knows before traffic starts are exposed at 0, so Prometheus's rate() and
// increase() see the first denial, rate-limit burst or signature hit instead of a series born with it.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { REASONS } from '@sentinel/ingest';
import { createNodeMetrics } from '../../src/metrics.ts';
import { InspectionEngine, inspectionConfig, inspectionMetrics } from '../../src/inspection/index.ts';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics known in advance start at zero', () => {
  it('node metrics - every reason kind and decision, auth result and rate-limit tier is 0 before any traffic', async () => {
    const m = createNodeMetrics();
    const text = await m.registry.metrics();
    for (const r of Object.values(REASONS)) {
      expect(sample(text, `mqtt_proxy_decisions_total{kind="${r.kind}",decision="${r.decision}"}`)).toBe(0);
    }
    for (const tier of ['global', 'per_ip', 'connect', 'publish', 'subscribe', 'per_client']) {
      expect(sample(text, `mqtt_proxy_rate_limit_rejected_total{tier="${tier}"}`), tier).toBe(0);
    }
    expect(sample(text, 'mqtt_proxy_auth_requests_total{result="deny",cache="miss"}')).toBe(0);
    expect(sample(text, 'mqtt_proxy_auth_requests_total{result="unavailable",cache="miss"}')).toBe(0);
  });

  it('node metrics - the first increment of a pre-set series counts from 0', async () => {
    const m = createNodeMetrics();
    m.rateLimitRejected.inc({ tier: 'publish' }, 300);
    m.decisions.inc({ kind: 'auth', decision: 'deny' });
    const text = await m.registry.metrics();
    expect(sample(text, 'mqtt_proxy_rate_limit_rejected_total{tier="publish"}')).toBe(300);
    expect(sample(text, 'mqtt_proxy_decisions_total{kind="auth",decision="deny"}')).toBe(1);
  });

  it('inspection - each loaded signature rule has its findings series at 0, also after a rule swap', async () => {
    const registry = new Registry();
    const metrics = inspectionMetrics(registry);
    const engine = new InspectionEngine({ config: inspectionConfig({ watchRules: false }), metrics });
    const rules = engine.rules.rules;
    expect(rules.length).toBeGreaterThan(0);
    let text = await registry.metrics();
    expect(sample(text, 'sentinel_inspection_findings_total{reason="inspect.sqli",action="block"}')).toBe(0);
    expect(sample(text, 'sentinel_inspection_rules')).toBe(rules.length);
    engine.setRules({ ...engine.rules, rules: rules.filter((r) => r.reason === 'inspect.xss') });
    text = await registry.metrics();
    expect(sample(text, 'sentinel_inspection_rules')).toBeLessThan(rules.length);
    expect(sample(text, 'sentinel_inspection_findings_total{reason="inspect.xss",action="block"}')).toBe(0);
  });
});
