// The dashboards and Prometheus files this package ships, read from disk for tests and tools.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_FILES = ['sentinel-health.json', 'sentinel-security.json'] as const;

export interface GrafanaTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
  instant?: boolean;
}

export interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: GrafanaPanel[];
  templating: { list: { name: string; type: string }[] };
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
