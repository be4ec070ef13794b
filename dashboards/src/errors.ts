// Typed errors of the dashboards package: a dashboard that cannot be turned into the queries Grafana
// would send names the dashboard, panel and query it stopped at.

export const DashboardErrorCode = {
  /** A `$variable` that is neither a dashboard variable nor a Grafana built-in. */
  UnknownVariable: 'DASHBOARD_UNKNOWN_VARIABLE',
  /** A time range, interval or duration Grafana would not accept. */
  BadTime: 'DASHBOARD_BAD_TIME',
  /** A panel or target with a data source this package has no evaluator for. */
  UnsupportedDatasource: 'DASHBOARD_UNSUPPORTED_DATASOURCE',
  /** Prometheus refused a query. */
  QueryFailed: 'DASHBOARD_QUERY_FAILED',
} as const;
export type DashboardErrorCode = (typeof DashboardErrorCode)[keyof typeof DashboardErrorCode];

export class DashboardError extends Error {
  override readonly name = 'DashboardError';
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
