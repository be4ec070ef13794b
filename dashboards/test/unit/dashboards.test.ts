import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bridgeConfigSchema, enforcementConfigSchema } from '@sentinel/enforcement';
import {
  ageSeconds,
  baseName,
  DASHBOARD_FILES,
  loadDashboard,
  metricNames,
  packagePath,
  queryPanels,
} from '../../src/index.ts';
import { definedMetricNames, panelQueries, ruleExpressions } from '../support.ts';

describe('Grafana dashboards', () => {
  it.each(DASHBOARD_FILES)('%s is a dashboard with a Prometheus data source variable', (file) => {
    const d = loadDashboard(file);
    expect(`${d.uid}.json`).toBe(file);
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.templating.list).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource' }),
    );
  });

  it.each(DASHBOARD_FILES)('%s: every panel queries Prometheus through ${DS_PROMETHEUS}', (file) => {
    const panels = queryPanels(loadDashboard(file));
    expect(panels.length).toBeGreaterThan(5);
    const ids = new Set<number>();
    for (const p of panels) {
      const raw = p as unknown as {
        datasource: { uid: string };
        gridPos: { x: number; w: number };
        targets: { expr: string; datasource: { uid: string } }[];
      };
      expect(ids.has(p.id), `duplicate panel id ${p.id}`).toBe(false);
      ids.add(p.id);
      expect(raw.datasource.uid, p.title).toBe('${DS_PROMETHEUS}');
      expect(raw.gridPos.x + raw.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(raw.targets.length, `${p.title} has no query`).toBeGreaterThan(0);
      for (const t of raw.targets) {
        expect(t.expr.trim(), p.title).not.toBe('');
        expect(t.datasource.uid).toBe('${DS_PROMETHEUS}');
      }
    }
  });

  it('the health dashboard shows devices, the 600 msg/s target, cluster health, retention and latency percentiles', () => {
    const titles = queryPanels(loadDashboard('sentinel-health.json')).map((p) => p.title);
    for (const want of [
      'Connected devices',
      '600 msg/s target',
      'NATS / JetStream up',
      'Consumer lag',
      'Message retention',
      'P50 / P95 / P99',
    ]) {
      expect(
        titles.some((t) => t.includes(want)),
        want,
      ).toBe(true);
    }
    const exprs = panelQueries()
      .filter((q) => q.dashboard === 'sentinel-health')
      .map((q) => q.expr)
      .join('\n');
    for (const q of ['0.5', '0.95', '0.99']) expect(exprs).toContain(`histogram_quantile(${q},`);
    expect(exprs).toContain('mqtt_proxy_connections_active');
    expect(exprs).toContain('sentinel_ingest_consumer_lag');
  });

  it('the security dashboard shows every security view the issue asks for', () => {
    const titles = queryPanels(loadDashboard('sentinel-security.json')).map((p) => p.title);
    for (const want of [
      'Threat',
      'Authentication failures',
      'Blocked messages',
      'Pattern violations',
      'Anomaly events',
      'Rate-limit rejections by tier',
      'Bans',
      'Security event log',
    ]) {
      expect(
        titles.some((t) => t.includes(want)),
        want,
      ).toBe(true);
    }
    const exprs = panelQueries()
      .filter((q) => q.dashboard === 'sentinel-security')
      .map((q) => q.expr)
      .join('\n');
    expect(exprs).toContain('mqtt_proxy_auth_requests_total{result="deny"}');
    expect(exprs).toContain('sum by (tier) (rate(mqtt_proxy_rate_limit_rejected_total');
  });

  it('every metric a panel or alert rule uses is defined in the code', () => {
    const defined = definedMetricNames();
    const used = [
      ...panelQueries().map((q) => ({ where: `${q.dashboard}: ${q.panel}`, expr: q.expr })),
      ...ruleExpressions().map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ];
    const missing = used.flatMap((u) =>
      metricNames(u.expr)
        .filter((n) => !defined.has(n) && !defined.has(baseName(n)))
        .map((n) => `${u.where}: ${n}`),
    );
    expect(missing).toEqual([]);
  });
});

describe('Prometheus scrape configuration', () => {
  const cfg = parse(readFileSync(packagePath('prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    rule_files: string[];
  };
  const target = (job: string): string | undefined =>
    cfg.scrape_configs.find((s) => s.job_name === job)?.static_configs[0]?.targets[0];

  it('scrapes the enforcement node, api, export, bridge and nats jobs and loads the alert rules', () => {
    expect(cfg.scrape_configs.map((s) => s.job_name).sort()).toEqual([
      'api',
      'bridge',
      'enforcement',
      'export',
      'nats',
    ]);
    expect(cfg.rule_files).toEqual(['alerts.yml']);
  });

  it('scrapes the components on their default metrics ports', () => {
    expect(target('enforcement')).toBe(`127.0.0.1:${enforcementConfigSchema.parse({}).metricsPort}`);
    expect(target('bridge')).toBe(`127.0.0.1:${bridgeConfigSchema.parse({}).metrics.port}`);
  });
});

describe('PromQL metric names', () => {
  it.each([
    ['sum(rate(mqtt_proxy_packets_total{type="publish",direction="out"}[1m]))', ['mqtt_proxy_packets_total']],
    [
      'histogram_quantile(0.99, sum by (le) (rate(bridge_latency_seconds_bucket[5m])))',
      ['bridge_latency_seconds_bucket'],
    ],
    ['a_total > 0 unless on (x) b_total', ['a_total', 'b_total']],
    ['count(up == 0) or vector(0)', ['up']],
    ['max by (stream) (x_seconds) / 3600', ['x_seconds']],
    ['sum without (instance) (rate(c{l=~"a|b(c)"}[5m] offset 1h))', ['c']],
  ])('%s uses %j', (expr, names) => {
    expect(metricNames(expr).sort()).toEqual([...names].sort());
  });

  it('maps histogram series to their metric', () => {
    expect(baseName('bridge_latency_seconds_bucket')).toBe('bridge_latency_seconds');
    expect(baseName('mqtt_proxy_packets_total')).toBe('mqtt_proxy_packets_total');
  });
});

describe('nats exporter', () => {
  it('reads the age of the oldest message and treats an empty stream as age 0', () => {
    const now = Date.parse('2026-11-21T12:00:00Z');
    expect(ageSeconds('2026-11-21T11:00:00.5Z', now)).toBe(3599.5);
    expect(ageSeconds('0001-01-01T00:00:00Z', now)).toBe(0);
    expect(ageSeconds(undefined, now)).toBe(0);
  });
});
