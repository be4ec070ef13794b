// The dashboards and Prometheus files this package ships, read from disk for tests and tools.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_FILES = ['sentinel-health.json', 'sentinel-security.json'] as const;

export interface GrafanaDatasourceRef {
  type?: string;
  uid?: string;
}

export interface GrafanaTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  datasource?: GrafanaDatasourceRef;
  /** "Min step" of the query. */
  interval?: string;
  intervalFactor?: number;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource?: GrafanaDatasourceRef;
  gridPos?: { x: number; y: number; w: number; h: number };
  maxDataPoints?: number;
  /** "Min interval" of the panel. */
  interval?: string;
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  name: string;
  type: string;
  current?: { value?: string | string[]; text?: string | string[] };
  options?: { value: string }[];
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  query?: unknown;
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: GrafanaPanel[];
  time?: { from: string; to: string };
  templating: { list: GrafanaVariable[] };
}

export function packagePath(rel: string): string {
  return fileURLToPath(new URL(`../${rel}`, import.meta.url));
}

export function loadDashboard(file: string): GrafanaDashboard {
  return JSON.parse(readFileSync(packagePath(`grafana/${file}`), 'utf8')) as GrafanaDashboard;
}

/** Every panel with queries, rows flattened. */
export function queryPanels(d: GrafanaDashboard): GrafanaPanel[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}
