// The queries Grafana would send for the shipped dashboards: time range, interval, step, built-in and
// template variables.
import { describe, expect, it } from 'vitest';
import {
  DASHBOARD_FILES,
  DashboardError,
  DashboardErrorCode,
  formatInterval,
  goDuration,
  intervalMs,
  loadDashboard,
  panelRequests,
  prometheusRequestUrl,
  queryPanels,
  relativeTime,
  roundInterval,
} from '../../src/index.ts';
import type { GrafanaDashboard, GrafanaPanel, GrafanaVariable } from '../../src/index.ts';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 7, 500);

function dashboard(panel: Partial<GrafanaPanel>, variables: GrafanaVariable[] = []): GrafanaDashboard {
  return {
    uid: 'test',
    title: 'test',
    schemaVersion: 39,
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [{ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }, ...variables],
    },
    panels: [
      {
        id: 1,
        type: 'timeseries',
        title: 'p',
        datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' },
        gridPos: { x: 0, y: 0, w: 12, h: 8 },
        targets: [{ refId: 'A', expr: 'up' }],
        ...panel,
      },
    ],
  };
}

const expr = (d: GrafanaDashboard, o: { scrapeInterval?: string } = {}): string =>
  panelRequests(d, { now: NOW, ...o })[0]?.expr ?? '';

describe('panel requests', () => {
  it.each(DASHBOARD_FILES)(
    '%s: one request per query, range queries over the last hour in 15 s steps',
    (file) => {
      const d = loadDashboard(file);
      const requests = panelRequests(d, { now: NOW, scrapeInterval: '15s' });
      const targets = queryPanels(d).flatMap((p) => p.targets ?? []);
      expect(requests).toHaveLength(targets.length);
      for (const r of requests) {
        expect(r.datasource).toBe('prometheus');
        expect(r.expr).not.toMatch(/\$/);
        expect(r.step).toBe(15);
        expect(r.end % 15).toBe(0);
        expect(r.end).toBeLessThanOrEqual(NOW / 1000);
        expect(r.end - r.start).toBe(3600);
        expect(r.kind).toBe(r.panelType === 'table' ? 'instant' : 'range');
      }
    },
  );

  it('substitutes the built-ins as Grafana does: $__rate_interval is four scrapes at least', () => {
    const d = dashboard({
      targets: [
        {
          refId: 'A',
          expr: 'rate(x[$__rate_interval]) / $__interval_ms + y[$__interval] + z[${__range}] + $__range_s',
        },
      ],
    });
    expect(expr(d)).toBe('rate(x[1m0s]) / 15000 + y[15s] + z[3600s] + 3600');
    expect(expr(d, { scrapeInterval: '30s' })).toBe('rate(x[2m0s]) / 30000 + y[30s] + z[3600s] + 3600');
  });

  it('a narrow panel over a day gets a coarser interval, and $__rate_interval one scrape more', () => {
    const d = dashboard({
      gridPos: { x: 0, y: 0, w: 6, h: 8 },
      targets: [{ refId: 'A', expr: 'rate(x[$__rate_interval])' }],
    });
    const [r] = panelRequests(d, { now: NOW, time: { from: 'now-24h', to: 'now' } });
    // 86,400 s over 480 px is 180 s, rounded to 2 m
    expect(r?.step).toBe(120);
    expect(r?.expr).toBe('rate(x[2m15s])');
    expect(r?.start).toBe(Math.floor((NOW - 86_400_000) / 120_000) * 120);
  });

  it('the panel min interval and max data points bound the step', () => {
    const slow = dashboard({ interval: '1m', targets: [{ refId: 'A', expr: 'x' }] });
    expect(panelRequests(slow, { now: NOW })[0]?.step).toBe(60);
    const few = dashboard({ maxDataPoints: 10, targets: [{ refId: 'A', expr: 'x' }] });
    expect(panelRequests(few, { now: NOW })[0]?.step).toBe(300);
  });

  it('template variables: single values as they are, several as an escaped alternation, All as allValue', () => {
    const vars: GrafanaVariable[] = [
      { name: 'job', type: 'custom', current: { value: 'api' } },
      { name: 'tier', type: 'custom', multi: true, current: { value: ['per_ip', 'a.b'] } },
      {
        name: 'node',
        type: 'query',
        includeAll: true,
        current: { value: ['$__all'] },
        options: [{ value: '$__all' }, { value: 'n1' }, { value: 'n2' }],
      },
      { name: 'any', type: 'query', includeAll: true, allValue: '.+', current: { value: '$__all' } },
    ];
    const d = dashboard(
      {
        targets: [{ refId: 'A', expr: 'x{job="$job",tier=~"${tier}",node=~"[[node]]",i=~"${any:regex}"}' }],
      },
      vars,
    );
    expect(expr(d)).toBe('x{job="api",tier=~"(per_ip|a\\\\.b)",node=~"(n1|n2)",i=~".+"}');
  });

  it('an unknown variable is an error naming it, not a query Prometheus would refuse', () => {
    const d = dashboard({ targets: [{ refId: 'A', expr: 'x{job="$nope"}' }] });
    expect(() => expr(d)).toThrow(DashboardError);
    try {
      expr(d);
    } catch (err) {
      expect((err as DashboardError).code).toBe(DashboardErrorCode.UnknownVariable);
      expect((err as DashboardError).message).toContain('$nope');
    }
  });

  it('reports the data source type of every query, so a non-Prometheus panel cannot pass unchecked', () => {
    const d = dashboard({ datasource: { type: 'grafana-clickhouse-datasource', uid: 'ch' } });
    expect(panelRequests(d, { now: NOW })[0]?.datasource).toBe('grafana-clickhouse-datasource');
    const byVariable = dashboard({ datasource: { uid: '${DS_PROMETHEUS}' } });
    expect(panelRequests(byVariable, { now: NOW })[0]?.datasource).toBe('prometheus');
  });

  it('builds query_range and query URLs', () => {
    const d = dashboard({ targets: [{ refId: 'A', expr: 'sum(up)' }] });
    const [r] = panelRequests(d, { now: NOW });
    const range = new URL(prometheusRequestUrl('http://127.0.0.1:9090', r!));
    expect(range.pathname).toBe('/api/v1/query_range');
    expect(Object.fromEntries(range.searchParams)).toEqual({
      query: 'sum(up)',
      start: String(r!.start),
      end: String(r!.end),
      step: '15',
    });
    const instant = new URL(prometheusRequestUrl('http://127.0.0.1:9090', { ...r!, kind: 'instant' }));
    expect(instant.pathname).toBe('/api/v1/query');
    expect(instant.searchParams.get('time')).toBe(String(r!.end));
  });

  it.each([
    [10, 10],
    [14, 10],
    [1400, 1000],
    [16_000, 15_000],
    [180_000, 120_000],
    [3_000_000, 3_600_000],
    [1e12, 31_536_000_000],
  ])('rounds an interval of %d ms to %d ms', (ms, rounded) => {
    expect(roundInterval(ms)).toBe(rounded);
  });

  it('parses and prints intervals and durations', () => {
    expect(intervalMs('15s')).toBe(15_000);
    expect(intervalMs('500ms')).toBe(500);
    expect(intervalMs('2h')).toBe(7_200_000);
    expect(() => intervalMs('fast')).toThrow(DashboardError);
    expect(relativeTime('now-15m', NOW)).toBe(NOW - 900_000);
    expect(() => relativeTime('now/d', NOW)).toThrow(DashboardError);
    expect(formatInterval(120_000)).toBe('2m');
    expect(formatInterval(15_000)).toBe('15s');
    expect(formatInterval(90_000)).toBe('1m');
    expect(goDuration(60_000)).toBe('1m0s');
    expect(goDuration(5_415_000)).toBe('1h30m15s');
    expect(goDuration(15_000)).toBe('15s');
    expect(goDuration(250)).toBe('250ms');
  });
});
