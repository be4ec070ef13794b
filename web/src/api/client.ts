// The typed api client: one method per route of the api's route table (operationId in the comment).
// Only fetch: the console never imports api or analytics code at run time (its types come from the api by
// `import type`, see types.ts). The token travels in the Authorization header, never in a URL.
import { ApiCallError, WebErrorCode } from './errors.ts';
import type {
  AnalystAction,
  ApiErrorBody,
  BanChange,
  BanDecision,
  BanQuery,
  BanRequest,
  ComplianceReport,
  EventFilter,
  IdentityDetail,
  IdentityQuery,
  IdentityScope,
  IdentityScore,
  IncidentDetail,
  IncidentFilter,
  IncidentPatch,
  IncidentUpdate,
  Incident,
  Me,
  MitreCoverage,
  Overview,
  Page,
  QuarantinedMessage,
  QuarantinePage,
  ReportExport,
  ReportFormat,
  ReportRequest,
  SentinelEvent,
  StandardInfo,
} from './types.ts';

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * Every api operation the console calls, by the api's operationId, with its method and OpenAPI path.
 * The client builds its URLs from this table, and an end-to-end test checks it against the running
 * api's /api/v1/openapi.json, so a renamed or moved route fails a test instead of a page.
 */
export const ENDPOINTS = {
  whoAmI: ['GET', '/me'],
  overview: ['GET', '/overview'],
  listIncidents: ['GET', '/incidents'],
  getIncident: ['GET', '/incidents/{id}'],
  updateIncident: ['PATCH', '/incidents/{id}'],
  searchEvents: ['GET', '/events'],
  listIdentities: ['GET', '/identities'],
  getIdentity: ['GET', '/identities/{scope}/{value}'],
  listBans: ['GET', '/bans'],
  createBan: ['POST', '/bans'],
  liftBan: ['DELETE', '/bans/{scope}/{value}'],
  listQuarantine: ['GET', '/quarantine'],
  releaseQuarantined: ['POST', '/quarantine/{seq}/release'],
  discardQuarantined: ['POST', '/quarantine/{seq}/discard'],
  mitreCoverage: ['GET', '/mitre/coverage'],
  listStandards: ['GET', '/reports/standards'],
  exportReport: ['POST', '/reports'],
} as const satisfies Record<string, readonly [string, string]>;
export type OperationId = keyof typeof ENDPOINTS;

/** '/incidents/{id}' + { id: 'a/b' } -> '/incidents/a%2Fb' */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`missing path parameter ${k} for ${template}`);
    return encodeURIComponent(String(v));
  });
}

export function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface Download {
  filename: string;
  contentType: string;
  blob: Blob;
}

type Fetch = typeof fetch;

export class ApiClient {
  /**
   * @param base origin of the api ('' = same origin, as when the api serves the console)
   * @param token the caller's api token
   */
  constructor(
    private readonly token: string,
    private readonly base = '',
    private readonly fetchImpl: Fetch = (...a) => fetch(...a),
  ) {}

  private async call(
    op: OperationId,
    params: Record<string, string | number> | undefined,
    query?: Query,
    body?: unknown,
  ): Promise<Response> {
    const [method, template] = ENDPOINTS[op];
    const path = fillPath(template, params);
    const url = `${this.base}/api/v1${path}${queryString(query)}`;
    let res: Response;
    try {
      res = await this.fetchImpl(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (cause) {
      throw new ApiCallError(WebErrorCode.Network, 'The api did not answer', { path }, { cause });
    }
    if (!res.ok) throw await httpError(res, path);
    return res;
  }

  private async json<T>(
    op: OperationId,
    params?: Record<string, string | number>,
    query?: Query,
    body?: unknown,
  ): Promise<T> {
    const res = await this.call(op, params, query, body);
    const path = ENDPOINTS[op][1];
    try {
      return (await res.json()) as T;
    } catch (cause) {
      throw new ApiCallError(
        WebErrorCode.BadAnswer,
        'The api answered with something that is not JSON',
        { path },
        { cause },
      );
    }
  }

  /** whoAmI */
  me(): Promise<Me> {
    return this.json('whoAmI');
  }

  /** overview */
  overview(windowS = 300): Promise<Overview> {
    return this.json('overview', undefined, { windowS });
  }

  /** listIncidents */
  incidents(f: IncidentFilter = {}): Promise<Page<Incident>> {
    return this.json('listIncidents', undefined, { ...f });
  }

  /** getIncident */
  incident(id: string): Promise<IncidentDetail> {
    return this.json('getIncident', { id });
  }

  /** updateIncident */
  updateIncident(id: string, patch: IncidentPatch): Promise<IncidentUpdate> {
    return this.json('updateIncident', { id }, undefined, patch);
  }

  /** searchEvents */
  events(f: EventFilter = {}): Promise<Page<SentinelEvent>> {
    return this.json('searchEvents', undefined, { ...f });
  }

  /** listIdentities */
  identities(q: { scope?: IdentityScope; limit?: number } = {}): Promise<{ items: IdentityScore[] }> {
    return this.json('listIdentities', undefined, q);
  }

  /** getIdentity */
  identity(scope: IdentityScope, value: string, q: IdentityQuery = {}): Promise<IdentityDetail> {
    return this.json('getIdentity', { scope, value }, { ...q });
  }

  /** listBans */
  bans(q: BanQuery = {}): Promise<{ items: BanDecision[] }> {
    return this.json('listBans', undefined, { ...q });
  }

  /** createBan */
  ban(req: BanRequest): Promise<BanChange> {
    return this.json('createBan', undefined, undefined, req);
  }

  /** liftBan */
  liftBan(scope: IdentityScope, value: string, reason?: string): Promise<BanChange> {
    return this.json('liftBan', { scope, value }, { reason });
  }

  /** listQuarantine */
  quarantine(q: { after?: number; limit?: number } = {}): Promise<QuarantinePage> {
    return this.json('listQuarantine', undefined, q);
  }

  /** releaseQuarantined */
  release(seq: number): Promise<{ released: QuarantinedMessage; action: AnalystAction }> {
    return this.json('releaseQuarantined', { seq });
  }

  /** discardQuarantined */
  discard(seq: number): Promise<{ discarded: QuarantinedMessage; action: AnalystAction }> {
    return this.json('discardQuarantined', { seq });
  }

  /** mitreCoverage */
  mitre(q: { from?: number; to?: number } = {}): Promise<MitreCoverage> {
    return this.json('mitreCoverage', undefined, q);
  }

  /** listStandards */
  standards(): Promise<{ items: StandardInfo[] }> {
    return this.json('listStandards');
  }

  /** exportReport as JSON, read for the preview: { integrity, report }. */
  async previewReport(req: ReportRequest): Promise<ComplianceReport> {
    const out = await this.json<ReportExport>('exportReport', undefined, undefined, {
      ...req,
      format: 'json',
    });
    return out.report;
  }

  /** exportReport as a file to save. */
  async downloadReport(req: ReportRequest, format: ReportFormat): Promise<Download> {
    const res = await this.call('exportReport', undefined, undefined, { ...req, format });
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `sentinel-${req.standard}.${format}`;
    return { filename, contentType: res.headers.get('content-type') ?? '', blob: await res.blob() };
  }
}

async function httpError(res: Response, path: string): Promise<ApiCallError> {
  let body: Partial<ApiErrorBody> = {};
  try {
    body = (await res.json()) as Partial<ApiErrorBody>;
  } catch {
    // not JSON (a proxy's page): the status says enough
  }
  const message = body.error?.message ?? `${res.status} ${res.statusText}`.trim();
  return new ApiCallError(WebErrorCode.Http, message, {
    status: res.status,
    path,
    ...(body.error?.code ? { apiCode: body.error.code } : {}),
    ...(body.error?.fields ? { fields: body.error.fields } : {}),
  });
}
