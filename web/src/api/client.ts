// The typed api client: one method per route of the api's route table (operationId in the comment).
// Only fetch: the console never imports api or analytics code. The token travels in the Authorization
// header, never in a URL.
import { ApiCallError, WebErrorCode } from './errors.ts';
import type {
  AnalystAction,
  ApiErrorBody,
  BanDecision,
  BanRequest,
  ComplianceReport,
  EventFilter,
  IdentityDetail,
  IdentityScope,
  IdentityScore,
  IncidentDetail,
  IncidentFilter,
  IncidentPatch,
  Incident,
  Me,
  MitreCoverage,
  Overview,
  Page,
  QuarantinedMessage,
  ReportFormat,
  ReportRequest,
  SentinelEvent,
  StandardInfo,
} from './types.ts';

export type Query = Record<string, string | number | boolean | undefined>;

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

  private async call(method: string, path: string, query?: Query, body?: unknown): Promise<Response> {
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

  private async json<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    const res = await this.call(method, path, query, body);
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
    return this.json('GET', '/me');
  }

  /** overview */
  overview(windowS = 300): Promise<Overview> {
    return this.json('GET', '/overview', { windowS });
  }

  /** listIncidents */
  incidents(f: IncidentFilter = {}): Promise<Page<Incident>> {
    return this.json('GET', '/incidents', { ...f });
  }

  /** getIncident */
  incident(id: string): Promise<IncidentDetail> {
    return this.json('GET', `/incidents/${encodeURIComponent(id)}`);
  }

  /** updateIncident */
  updateIncident(
    id: string,
    patch: IncidentPatch,
  ): Promise<{ incidentId: string; status: string; assignee: string; actions: AnalystAction[] }> {
    return this.json('PATCH', `/incidents/${encodeURIComponent(id)}`, undefined, patch);
  }

  /** searchEvents */
  events(f: EventFilter = {}): Promise<Page<SentinelEvent>> {
    return this.json('GET', '/events', { ...f });
  }

  /** listIdentities */
  identities(q: { scope?: IdentityScope; limit?: number } = {}): Promise<{ items: IdentityScore[] }> {
    return this.json('GET', '/identities', q);
  }

  /** getIdentity */
  identity(
    scope: IdentityScope,
    value: string,
    q: { from?: number; to?: number; points?: number } = {},
  ): Promise<IdentityDetail> {
    return this.json('GET', `/identities/${encodeURIComponent(scope)}/${encodeURIComponent(value)}`, q);
  }

  /** listBans */
  bans(
    q: { state?: 'active' | 'past'; scope?: IdentityScope; value?: string; limit?: number } = {},
  ): Promise<{
    items: BanDecision[];
  }> {
    return this.json('GET', '/bans', q);
  }

  /** createBan */
  ban(req: BanRequest): Promise<{ decision: BanDecision; action: AnalystAction }> {
    return this.json('POST', '/bans', undefined, req);
  }

  /** liftBan */
  liftBan(
    scope: IdentityScope,
    value: string,
    reason?: string,
  ): Promise<{ decision: BanDecision; action: AnalystAction }> {
    return this.json('DELETE', `/bans/${encodeURIComponent(scope)}/${encodeURIComponent(value)}`, { reason });
  }

  /** listQuarantine */
  quarantine(
    q: { after?: number; limit?: number } = {},
  ): Promise<{ items: QuarantinedMessage[]; next: number | null }> {
    return this.json('GET', '/quarantine', q);
  }

  /** releaseQuarantined */
  release(seq: number): Promise<{ released: QuarantinedMessage; action: AnalystAction }> {
    return this.json('POST', `/quarantine/${seq}/release`);
  }

  /** discardQuarantined */
  discard(seq: number): Promise<{ discarded: QuarantinedMessage; action: AnalystAction }> {
    return this.json('POST', `/quarantine/${seq}/discard`);
  }

  /** mitreCoverage */
  mitre(q: { from?: number; to?: number } = {}): Promise<MitreCoverage> {
    return this.json('GET', '/mitre/coverage', q);
  }

  /** listStandards */
  standards(): Promise<{ items: StandardInfo[] }> {
    return this.json('GET', '/reports/standards');
  }

  /** exportReport as JSON, read for the preview: { integrity, report }. */
  async previewReport(req: ReportRequest): Promise<ComplianceReport> {
    const out = await this.json<{ report: ComplianceReport }>('POST', '/reports', undefined, {
      ...req,
      format: 'json',
    });
    return out.report;
  }

  /** exportReport as a file to save. */
  async downloadReport(req: ReportRequest, format: ReportFormat): Promise<Download> {
    const res = await this.call('POST', '/reports', undefined, { ...req, format });
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
