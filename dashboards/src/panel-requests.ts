// The requests Grafana sends to Prometheus for a dashboard's panels: the time range of the dashboard,
// the panel's interval (its width in data points, never finer than the data source's scrape interval),
// the step of range queries, and the template variables and built-ins ($__interval, $__rate_interval,
// $__range, ...) substituted the way Grafana's Prometheus data source does it. Tests evaluate these
// against a real Prometheus, so a panel is checked with the query a browser would really run.
import { DashboardError, DashboardErrorCode } from './errors.ts';
import { queryPanels } from './dashboards.ts';
import type { GrafanaDashboard, GrafanaPanel, GrafanaTarget, GrafanaVariable } from './dashboards.ts';

export interface PanelRequestOptions {
  /** The dashboard's "now", in ms since the epoch. */
  now: number;
  /** The Prometheus data source's scrape interval setting (Grafana's default: 15s). */
  scrapeInterval?: string;
  /** Browser width in px; a panel's max data points is its width (Grafana's default when unset). */
  screenWidthPx?: number;
  /** Time range instead of the dashboard's own `time`. */
  time?: { from: string; to: string };
}

export interface PanelRequest {
  dashboard: string;
  panel: string;
  panelType: string;
  refId: string;
  /** The data source type the query goes to (`prometheus` for every shipped panel). */
  datasource: string;
  /** The expression as written in the dashboard. */
  rawExpr: string;
  /** The expression as sent, variables substituted. */
  expr: string;
  kind: 'range' | 'instant';
  /** Seconds since the epoch, aligned down to the step like Grafana does. */
  start: number;
  end: number;
  /** Seconds. */
  step: number;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** `15s`, `1m`, `500ms`, `2h` → ms (Grafana interval strings). */
export function intervalMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!m) throw new DashboardError(DashboardErrorCode.BadTime, `not an interval: ${JSON.stringify(text)}`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

/** `now`, `now-1h`, `now-15m` → ms since the epoch (rounding like `now/d` is not used by the dashboards). */
export function relativeTime(text: string, now: number): number {
  if (text === 'now') return now;
  const m = /^now-(\d+)(s|m|h|d|w|y)$/.exec(text);
  if (!m) throw new DashboardError(DashboardErrorCode.BadTime, `unsupported time: ${JSON.stringify(text)}`);
  return now - Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

/** Grafana's interval rounding (rangeutil.roundInterval): to a neat value near `ms`. */
export function roundInterval(ms: number): number {
  const steps: [number, number][] = [
    [15, 10],
    [35, 20],
    [75, 50],
    [150, 100],
    [350, 200],
    [750, 500],
    [1500, 1000],
    [3500, 2000],
    [7500, 5000],
    [12500, 10000],
    [17500, 15000],
    [25000, 20000],
    [45000, 30000],
    [90000, 60000],
    [210000, 120000],
    [450000, 300000],
    [750000, 600000],
    [1050000, 900000],
    [1500000, 1200000],
    [2700000, 1800000],
    [5400000, 3600000],
    [9000000, 7200000],
    [16200000, 10800000],
    [32400000, 21600000],
    [86400000, 43200000],
    [604800000, 86400000],
    [1814400000, 604800000],
    [3628800000, 2592000000],
  ];
  for (const [below, value] of steps) if (ms < below) return value;
  return 31536000000;
}

/** Grafana's short interval format (`15s`, `1m`, `2h`): the largest whole unit. */
export function formatInterval(ms: number): string {
  for (const unit of ['y', 'd', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit] as number;
    if (ms >= size) return `${Math.floor(ms / size)}${unit}`;
  }
  return '1ms';
}

/** A duration as Go prints it (`1m0s`, `1h30m0s`, `500ms`): how $__rate_interval reaches Prometheus. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

interface Timing {
  startMs: number;
  endMs: number;
  /** The panel's interval ($__interval before the backend's adjustments). */
  intervalMs: number;
  stepMs: number;
  rateIntervalMs: number;
}

function timing(
  panel: GrafanaPanel,
  target: GrafanaTarget,
  d: GrafanaDashboard,
  o: PanelRequestOptions,
): Timing {
  const time = o.time ?? d.time ?? { from: 'now-6h', to: 'now' };
  const startMs = relativeTime(time.from, o.now);
  const endMs = relativeTime(time.to, o.now);
  const rangeMs = endMs - startMs;
  const scrapeMs = intervalMs(o.scrapeInterval ?? '15s');
  const widthPx = ((panel.gridPos?.w ?? 24) / 24) * (o.screenWidthPx ?? 1920);
  const maxDataPoints = panel.maxDataPoints ?? Math.max(1, Math.round(widthPx));
  // The front end: range / max data points, rounded, never below the panel's min interval or else the
  // data source's scrape interval.
  const lowLimitMs = intervalMs(panel.interval || o.scrapeInterval || '15s');
  const panelIntervalMs = Math.max(roundInterval(rangeMs / maxDataPoints), lowLimitMs);
  // The back end: the query's min step if set, never finer than range / 11,000 points.
  const minStepMs = target.interval ? intervalMs(target.interval) : panelIntervalMs;
  const calculated = rangeMs / maxDataPoints < minStepMs ? minStepMs : roundInterval(rangeMs / maxDataPoints);
  const safe = rangeMs / 11_000 > 1 ? roundInterval(rangeMs / 11_000) : 1;
  const stepMs = Math.max(calculated, safe) * (target.intervalFactor || 1);
  // $__rate_interval: at least four scrapes, and at least one interval plus one scrape.
  const rateIntervalMs = Math.max(panelIntervalMs + scrapeMs, 4 * scrapeMs);
  return { startMs, endMs, intervalMs: panelIntervalMs, stepMs, rateIntervalMs };
}

/** A single value as the Prometheus data source writes it into a query. */
function plainEscape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/'/g, "\\\\'");
}

/** A value of a multi-value or "All" variable: escaped for the regex matcher it lands in. */
function regexEscape(v: string): string {
  return v.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

function variableValue(v: GrafanaVariable): string {
  const current = v.current?.value;
  const values = Array.isArray(current) ? current : typeof current === 'string' ? [current] : [];
  if (values.includes('$__all')) {
    if (v.allValue) return v.allValue;
    const all = (v.options ?? []).map((o) => o.value).filter((x) => x !== '$__all');
    return `(${all.map(regexEscape).join('|')})`;
  }
  if (values.length === 0 && typeof v.query === 'string' && (v.type === 'constant' || v.type === 'textbox')) {
    values.push(v.query);
  }
  if (values.length === 0) {
    throw new DashboardError(DashboardErrorCode.UnknownVariable, `variable $${v.name} has no current value`, {
      variable: v.name,
    });
  }
  if (!v.multi && !v.includeAll) return plainEscape(values[0] as string);
  return values.length === 1 ? regexEscape(values[0] as string) : `(${values.map(regexEscape).join('|')})`;
}

// Grafana's variable syntax: $name, [[name]] / [[name:format]], ${name} / ${name:format}.
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function interpolate(expr: string, d: GrafanaDashboard, t: Timing): string {
  const rangeS = Math.round((t.endMs - t.startMs) / 1000);
  const builtins: Record<string, string> = {
    __interval: formatInterval(t.stepMs),
    __interval_ms: String(t.stepMs),
    __rate_interval: goDuration(t.rateIntervalMs),
    __rate_interval_ms: String(t.rateIntervalMs),
    __range: `${rangeS}s`,
    __range_s: String(rangeS),
    __range_ms: String(t.endMs - t.startMs),
    __from: String(t.startMs),
    __to: String(t.endMs),
  };
  const vars = new Map(d.templating.list.map((v) => [v.name, v]));
  return expr.replace(VARIABLE, (whole, a?: string, b?: string, _bf?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    const builtin = builtins[name];
    if (builtin !== undefined) return builtin;
    const v = vars.get(name);
    if (!v) {
      throw new DashboardError(DashboardErrorCode.UnknownVariable, `unknown variable ${whole} in ${expr}`, {
        dashboard: d.uid,
        variable: name,
      });
    }
    return variableValue(v);
  });
}

function datasourceType(panel: GrafanaPanel, target: GrafanaTarget, d: GrafanaDashboard): string {
  const ref = target.datasource ?? panel.datasource;
  if (ref?.type) return ref.type;
  // A bare `${DS_...}` uid names a datasource variable; its `query` is the plugin type.
  const name = /^\$\{?(\w+)\}?$/.exec(ref?.uid ?? '')?.[1];
  const v = d.templating.list.find((x) => x.name === name && x.type === 'datasource');
  if (typeof v?.query === 'string') return v.query;
  throw new DashboardError(
    DashboardErrorCode.UnsupportedDatasource,
    `no data source type for ${panel.title}`,
    {
      dashboard: d.uid,
      panel: panel.title,
    },
  );
}

/** Every query of every panel of `d`, as Grafana would send it at `o.now`. */
export function panelRequests(d: GrafanaDashboard, o: PanelRequestOptions): PanelRequest[] {
  return queryPanels(d).flatMap((panel) =>
    (panel.targets ?? []).map((target): PanelRequest => {
      const t = timing(panel, target, d, o);
      const stepS = t.stepMs / 1000;
      // Grafana aligns start and end down to a multiple of the step (Prometheus caches by it).
      const align = (ms: number): number => Math.floor(ms / t.stepMs) * stepS;
      return {
        dashboard: d.uid,
        panel: panel.title,
        panelType: panel.type,
        refId: target.refId,
        datasource: datasourceType(panel, target, d),
        rawExpr: target.expr,
        expr: interpolate(target.expr, d, t),
        // Older panels with neither flag run as range queries.
        kind: target.instant && !target.range ? 'instant' : 'range',
        start: align(t.startMs),
        end: align(t.endMs),
        step: stepS,
      };
    }),
  );
}

/** The Prometheus HTTP API URL of a request (query_range for range, query for instant). */
export function prometheusRequestUrl(prometheusUrl: string, r: PanelRequest): string {
  const q = new URLSearchParams({ query: r.expr });
  if (r.kind === 'instant') {
    q.set('time', String(r.end));
    return `${prometheusUrl}/api/v1/query?${q}`;
  }
  q.set('start', String(r.start));
  q.set('end', String(r.end));
  q.set('step', String(r.step));
  return `${prometheusUrl}/api/v1/query_range?${q}`;
}

export interface PanelResult {
  /** Series returned. */
  series: number;
  /** Samples with a finite value (a NaN from histogram_quantile over no traffic shows nothing). */
  finiteSamples: number;
  /** Finite samples other than 0. */
  nonZeroSamples: number;
  /** Whether some series ends on a non-zero finite value: what a stat panel (last value) displays. */
  lastNonZero: boolean;
}

/** Run a request against Prometheus; throws a DashboardError when Prometheus refuses the query. */
export async function evaluatePanelRequest(prometheusUrl: string, r: PanelRequest): Promise<PanelResult> {
  const res = await fetch(prometheusRequestUrl(prometheusUrl, r));
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { value?: [number, string]; values?: [number, string][] }[] };
  };
  if (body.status !== 'success') {
    throw new DashboardError(DashboardErrorCode.QueryFailed, `${r.expr}: ${body.error ?? res.status}`, {
      dashboard: r.dashboard,
      panel: r.panel,
    });
  }
  const result = body.data?.result ?? [];
  let finiteSamples = 0;
  let nonZeroSamples = 0;
  let lastNonZero = false;
  for (const s of result) {
    let last = 0;
    for (const [, text] of s.values ?? (s.value ? [s.value] : [])) {
      const v = Number(text);
      if (!Number.isFinite(v)) continue;
      finiteSamples++;
      if (v !== 0) nonZeroSamples++;
      last = v;
    }
    if (last !== 0) lastNonZero = true;
  }
  return { series: result.length, finiteSamples, nonZeroSamples, lastNonZero };
}
