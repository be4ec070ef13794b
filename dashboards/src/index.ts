// @sentinel/dashboards — Grafana dashboards, the Prometheus scrape configuration and alert rules, and the
// nats-server exporter they rely on. The one public door.
export { startNatsExporter, natsExporterMetrics, refreshNatsMetrics, ageSeconds } from './nats-exporter.ts';
export type { NatsExporter, NatsExporterMetrics } from './nats-exporter.ts';
export { metricNames, baseName } from './promql.ts';
export { DASHBOARD_FILES, loadDashboard, queryPanels, packagePath } from './dashboards.ts';
export type {
  GrafanaDashboard,
  GrafanaDatasourceRef,
  GrafanaPanel,
  GrafanaTarget,
  GrafanaVariable,
} from './dashboards.ts';
export {
  evaluatePanelRequest,
  formatInterval,
  goDuration,
  intervalMs,
  panelRequests,
  prometheusRequestUrl,
  relativeTime,
  roundInterval,
} from './panel-requests.ts';
export type { PanelRequest, PanelRequestOptions, PanelResult } from './panel-requests.ts';
export { DashboardError, DashboardErrorCode } from './errors.ts';
