// @vitest-environment node
// The console's contract with the api, checked in process against the OpenAPI document the api builds
// from its route table and zod schemas (the same document GET /api/v1/openapi.json serves). The console's
// types that are the api's own come in by `import type` and fail `tsc` on drift; this test covers the rest:
// every field the console reads from an answer, every field and query parameter it sends, and every value
// list it shows, against the api's and the event contract's sources of truth.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  INCIDENT_SORTS as API_INCIDENT_SORTS,
  REPORT_FORMATS as API_REPORT_FORMATS,
  REQUIREMENT_STATUSES as API_REQUIREMENT_STATUSES,
  ROLES as API_ROLES,
  ROUTES,
  openApiDocument,
} from '@sentinel/api';
import {
  DECISIONS as CONTRACT_DECISIONS,
  EVENT_KINDS as CONTRACT_EVENT_KINDS,
  IDENTITY_SCOPES as CONTRACT_IDENTITY_SCOPES,
  INCIDENT_STATUSES as CONTRACT_INCIDENT_STATUSES,
} from '@sentinel/ingest';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/api/client.ts';
import type { ApiClient, OperationId } from '../../src/api/client.ts';
import {
  DECISIONS,
  EVENT_KINDS,
  IDENTITY_SCOPES,
  INCIDENT_SORTS,
  INCIDENT_STATUSES,
  REPORT_FORMATS,
  REQUIREMENT_STATUSES,
  ROLES,
} from '../../src/api/types.ts';
import type {
  AnalystAction,
  BanDecision,
  BanDecisionRecord,
  BanQuery,
  BanRequest,
  EventFilter,
  IdentityQuery,
  Incident,
  IncidentFilter,
  IncidentPatch,
  QuarantinedMessage,
  ReportFormat,
  ReportRequest,
  SentinelEvent,
  TimelineEntry,
} from '../../src/api/types.ts';
import { SchemaReader, oneOf } from './contract.ts';
import type { Spec } from './contract.ts';

type Answer<M extends keyof ApiClient> = ApiClient[M] extends (...a: never[]) => Promise<infer R> ? R : never;
type Param<M extends keyof ApiClient, I extends number> = ApiClient[M] extends (...a: infer A) => unknown
  ? NonNullable<A[I]>
  : never;

// ---- the console's types as specs (the compiler checks each names every field) ----------------------

const num = 'number' as const;
const str = 'string' as const;
const opt = <S>(spec: S) => ({ optional: spec });
const scope = oneOf(IDENTITY_SCOPES);
const status = oneOf(INCIDENT_STATUSES);

const incident: Spec<Incident> = {
  fields: {
    incidentId: str,
    rule: str,
    title: str,
    severity: num,
    status,
    assignee: str,
    technique: str,
    tactic: str,
    scope,
    identity: str,
    firstSeen: num,
    lastSeen: num,
    eventCount: num,
    eventIds: { items: str },
    remediation: str,
  },
};

const event: Spec<SentinelEvent> = {
  fields: {
    id: str,
    ts: num,
    node: str,
    kind: str,
    decision: str,
    reason: str,
    severity: num,
    clientId: str,
    username: str,
    ip: str,
    certFingerprint: str,
    transport: str,
    packetType: str,
    topic: str,
    ruleId: str,
    technique: str,
    matched: str,
    message: str,
  },
};

const action: Spec<AnalystAction> = {
  fields: {
    v: oneOf([1]),
    id: str,
    ts: num,
    action: str,
    actor: str,
    role: str,
    target: str,
    details: opt('record'),
  },
};

const banRecord: Spec<BanDecisionRecord> = {
  fields: {
    v: oneOf([1]),
    id: str,
    ts: num,
    action: oneOf(['ban', 'unban']),
    scope,
    value: str,
    durationS: num,
    until: num,
    origin: str,
    reason: str,
    offense: opt(num),
    incidentId: opt(str),
    actor: opt(str),
  },
};

const banListed: Spec<BanDecision> = {
  fields: Object.fromEntries(
    Object.entries(banRecord.fields).map(([k, f]) => [
      k,
      typeof f === 'object' && 'optional' in f ? f : opt(f),
    ]),
  ) as Spec<BanDecision>['fields'],
};

const timelineEntry: Spec<TimelineEntry> = {
  fields: {
    ts: num,
    type: oneOf(['event', 'update', 'action']),
    id: str,
    summary: str,
    actor: opt(str),
    status: opt(str),
    severity: opt(num),
    reason: opt(str),
  },
};

const quarantined: Spec<QuarantinedMessage> = {
  fields: {
    seq: num,
    subject: str,
    record: {
      fields: {
        v: oneOf([1]),
        id: str,
        ts: num,
        node: str,
        clientId: str,
        username: opt(str),
        ip: str,
        topic: str,
        qos: oneOf([0, 1, 2]),
        retain: 'boolean',
        reason: str,
        rule: str,
        ruleName: opt(str),
        matched: opt(str),
        severity: num,
        size: num,
        payload: str,
      },
    },
  },
};

/** What each operation answers, as the client's method for it returns it. */
const ANSWERS: { [Op in Exclude<OperationId, 'exportReport'>]: unknown } = {
  whoAmI: { fields: { name: str, role: oneOf(ROLES) } } satisfies Spec<Answer<'me'>>,
  overview: {
    fields: {
      windowS: num,
      connections: num,
      connectionsRefused: num,
      events: num,
      eventsPerSecond: num,
      openIncidentsBySeverity: { items: { fields: { severity: num, count: num } } },
      topAttackedTopics: { items: { fields: { topic: str, events: num } } },
      topOffenders: { items: { fields: { scope: str, identity: str, strikes: num } } },
    },
  } satisfies Spec<Answer<'overview'>>,
  listIncidents: {
    fields: { items: { items: incident }, nextCursor: { nullable: str } },
  } satisfies Spec<Answer<'incidents'>>,
  getIncident: { fields: { incident, timeline: { items: timelineEntry } } } satisfies Spec<
    Answer<'incident'>
  >,
  updateIncident: {
    fields: { incidentId: str, status, assignee: str, actions: { items: action } },
  } satisfies Spec<Answer<'updateIncident'>>,
  searchEvents: { fields: { items: { items: event }, nextCursor: { nullable: str } } } satisfies Spec<
    Answer<'events'>
  >,
  listIdentities: {
    fields: { items: { items: { fields: { scope, identity: str, score: num, weight: num } } } },
  } satisfies Spec<Answer<'identities'>>,
  getIdentity: {
    fields: {
      scope,
      value: str,
      score: num,
      scoreOverTime: { items: { fields: { ts: num, score: num } } },
      strikes: num,
      banned: 'boolean',
      bans: { items: banListed },
      recentEvents: { items: event },
      incidents: { items: incident },
    },
  } satisfies Spec<Answer<'identity'>>,
  listBans: { fields: { items: { items: banListed } } } satisfies Spec<Answer<'bans'>>,
  createBan: { fields: { decision: banRecord, action } } satisfies Spec<Answer<'ban'>>,
  liftBan: { fields: { decision: banRecord, action } } satisfies Spec<Answer<'liftBan'>>,
  listQuarantine: {
    fields: { items: { items: quarantined }, next: { nullable: num } },
  } satisfies Spec<Answer<'quarantine'>>,
  releaseQuarantined: { fields: { released: quarantined, action } } satisfies Spec<Answer<'release'>>,
  discardQuarantined: { fields: { discarded: quarantined, action } } satisfies Spec<Answer<'discard'>>,
  mitreCoverage: {
    fields: {
      from: num,
      to: num,
      techniques: {
        items: {
          fields: {
            id: str,
            name: str,
            tactic: str,
            matrix: str,
            covered: 'boolean',
            rules: { items: str },
            incidents: num,
          },
        },
      },
    },
  } satisfies Spec<Answer<'mitre'>>,
  listStandards: {
    fields: {
      items: {
        items: {
          fields: {
            id: str,
            name: str,
            version: str,
            requirements: { items: { fields: { id: str, title: str } } },
          },
        },
      },
    },
  } satisfies Spec<Answer<'standards'>>,
};

/** The query parameters the console sends, per operation. */
const QUERIES: Partial<Record<OperationId, unknown>> = {
  overview: { fields: { windowS: opt(num) } } satisfies Spec<{ windowS?: number }>,
  listIncidents: {
    fields: {
      from: opt(num),
      to: opt(num),
      minSeverity: opt(num),
      maxSeverity: opt(num),
      status: opt(status),
      technique: opt(str),
      tactic: opt(str),
      scope: opt(scope),
      identity: opt(str),
      rule: opt(str),
      sort: opt(oneOf(INCIDENT_SORTS)),
      order: opt(oneOf(['asc', 'desc'])),
      limit: opt(num),
      cursor: opt(str),
    },
  } satisfies Spec<IncidentFilter>,
  searchEvents: {
    fields: {
      from: opt(num),
      to: opt(num),
      kind: opt(oneOf(EVENT_KINDS)),
      decision: opt(oneOf(DECISIONS)),
      reason: opt(str),
      identity: opt(str),
      scope: opt(scope),
      topic: opt(str),
      minSeverity: opt(num),
      limit: opt(num),
      cursor: opt(str),
    },
  } satisfies Spec<EventFilter>,
  listIdentities: { fields: { scope: opt(scope), limit: opt(num) } } satisfies Spec<Param<'identities', 0>>,
  getIdentity: { fields: { from: opt(num), to: opt(num), points: opt(num) } } satisfies Spec<IdentityQuery>,
  listBans: {
    fields: { state: opt(oneOf(['active', 'past'])), scope: opt(scope), value: opt(str), limit: opt(num) },
  } satisfies Spec<BanQuery>,
  liftBan: { fields: { reason: opt(str) } } satisfies Spec<{ reason?: string }>,
  listQuarantine: { fields: { after: opt(num), limit: opt(num) } } satisfies Spec<Param<'quarantine', 0>>,
  mitreCoverage: { fields: { from: opt(num), to: opt(num) } } satisfies Spec<Param<'mitre', 0>>,
};

/** The JSON bodies the console sends. */
const BODIES: Partial<Record<OperationId, unknown>> = {
  updateIncident: {
    fields: { status: opt(status), assignee: opt(str), notes: opt(str) },
  } satisfies Spec<IncidentPatch>,
  createBan: {
    fields: { scope, value: str, durationS: opt(num), reason: opt(str) },
  } satisfies Spec<BanRequest>,
  exportReport: {
    fields: {
      standard: str,
      from: num,
      to: num,
      scope: opt({ fields: { scope, value: str } }),
      format: oneOf(REPORT_FORMATS),
    },
  } satisfies Spec<ReportRequest & { format: ReportFormat }>,
};

// ---- the checks --------------------------------------------------------------------------------------

const doc = openApiDocument(ROUTES);
const reader = new SchemaReader(doc);

function ops(): [OperationId, string, string][] {
  return Object.entries(ENDPOINTS).map(([op, [method, path]]) => [op as OperationId, method, path]);
}

describe('the console against the api it talks to', () => {
  it.each(ops())('%s is %s %s with that operationId in the api document', (op, method, path) => {
    expect(reader.operation(method, path)?.operationId).toBe(op);
  });

  it.each(Object.entries(ANSWERS))(
    'every field the console reads from %s is in its answer schema',
    (op, spec) => {
      const [method, path] = ENDPOINTS[op as OperationId];
      expect(reader.check(spec, reader.answer(method, path), 'response')).toEqual([]);
    },
  );

  it.each(Object.entries(QUERIES))(
    'every query parameter the console sends to %s is one the api takes',
    (op, spec) => {
      const [method, path] = ENDPOINTS[op as OperationId];
      expect(reader.check(spec, reader.parameters(method, path, 'query'), 'request')).toEqual([]);
    },
  );

  it.each(Object.entries(BODIES))(
    'the body the console sends to %s matches the api body schema',
    (op, spec) => {
      const [method, path] = ENDPOINTS[op as OperationId];
      expect(reader.check(spec, reader.body(method, path), 'request')).toEqual([]);
    },
  );

  it('describes the query of every operation that takes one, and the body of every one that takes one', () => {
    for (const [op, method, path] of ops()) {
      const query = reader.parameters(method, path, 'query').properties as object;
      if (Object.keys(query).length > 0) expect(QUERIES[op], op).toBeDefined();
      if (reader.operation(method, path)?.requestBody) expect(BODIES[op], op).toBeDefined();
    }
  });

  it('lists the same values as the api and the event contract, in their order', () => {
    expect([...ROLES]).toEqual([...API_ROLES]);
    expect([...IDENTITY_SCOPES]).toEqual([...CONTRACT_IDENTITY_SCOPES]);
    expect([...INCIDENT_STATUSES]).toEqual([...CONTRACT_INCIDENT_STATUSES]);
    expect([...EVENT_KINDS]).toEqual([...CONTRACT_EVENT_KINDS]);
    expect([...DECISIONS]).toEqual([...CONTRACT_DECISIONS]);
    expect([...INCIDENT_SORTS]).toEqual([...API_INCIDENT_SORTS]);
    expect([...REQUIREMENT_STATUSES]).toEqual([...API_REQUIREMENT_STATUSES]);
    // the console offers the downloads in its own order (pdf first): the same set
    expect([...REPORT_FORMATS].sort()).toEqual([...API_REPORT_FORMATS].sort());
  });
});

describe('the contract check itself', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- plain JSON, edited by hand below
  type Doc = Record<string, any>;
  // A copy of the real document with one thing changed: the check must notice.
  function doctored(change: (d: Doc) => void): SchemaReader {
    const d = structuredClone(doc) as Doc;
    change(d);
    return new SchemaReader(d);
  }
  const [, incidentsPath] = ENDPOINTS.listIncidents;

  it('fails when the api renames a field the console reads', () => {
    const r = doctored((d) => {
      const inc = d.components.schemas.Incident;
      inc.properties.lastSeenAt = inc.properties.lastSeen;
      delete inc.properties.lastSeen;
      inc.required = inc.required.map((n: string) => (n === 'lastSeen' ? 'lastSeenAt' : n));
    });
    expect(r.check(ANSWERS.listIncidents, r.answer('GET', incidentsPath), 'response')).toContain(
      "$.items[].lastSeen: not in the api's schema (it has incidentId, rule, title, severity, status, assignee, technique, tactic, scope, identity, firstSeen, eventCount, eventIds, remediation, lastSeenAt)",
    );
  });

  it('fails when a field the console relies on becomes optional, nullable or another kind', () => {
    const r = doctored((d) => {
      const inc = d.components.schemas.Incident;
      inc.required = inc.required.filter((n: string) => n !== 'title');
      inc.properties.assignee = { type: ['string', 'null'] };
      inc.properties.severity = { type: 'string' };
    });
    expect(r.check(ANSWERS.listIncidents, r.answer('GET', incidentsPath), 'response')).toEqual([
      "$.items[].title: the console relies on it; the api's schema makes it optional",
      "$.items[].severity: the console expects number; the api's schema has string",
      '$.items[].assignee: the api may answer null; the console does not expect it',
    ]);
  });

  it('fails when an enum gains or loses a value', () => {
    const r = doctored((d) => {
      d.components.schemas.Incident.properties.status.enum = ['new', 'acknowledged', 'closed'];
    });
    expect(r.check(ANSWERS.listIncidents, r.answer('GET', incidentsPath), 'response')).toEqual([
      '$.items[].status: the api does not know resolved',
      '$.items[].status: the console does not know closed',
    ]);
  });

  it('fails when the console sends a parameter the api dropped or misses one the api requires', () => {
    const r = doctored((d) => {
      const op = d.paths['/api/v1/incidents'].get;
      op.parameters = op.parameters.filter((p: { name: string }) => p.name !== 'tactic');
      const body = d.paths['/api/v1/bans'].post.requestBody.content['application/json'].schema;
      body.required.push('reason');
    });
    expect(r.check(QUERIES.listIncidents, r.parameters('GET', incidentsPath, 'query'), 'request')).toEqual([
      expect.stringMatching(/^\$\.tactic: not in the api's schema/),
    ]);
    expect(r.check(BODIES.createBan, r.body('POST', '/bans'), 'request')).toEqual([
      '$.reason: the api requires it; the console may leave it out',
    ]);
  });
});

describe('the console bundle', () => {
  const src = fileURLToPath(new URL('../../src/', import.meta.url));
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
    });
  /** Statements that bring another package's code in at run time (not erased like `import type`). */
  const runtimeImports = (text: string): string[] =>
    text
      .split(';')
      .map((s) => s.replace(/^\s*\/\/.*$/gm, '').trim())
      .filter((s) => /(from\s+|import\s*\(\s*)['"](@sentinel\/[^'"]+|zod)['"]/.test(s))
      .filter((s) => !/^(import|export)\s+type\b/.test(s));

  it('imports the api, the event contract and zod as types only, so none of their code is shipped', () => {
    expect(
      runtimeImports("import type { A } from '@sentinel/api';\nimport { B } from '@sentinel/ingest';"),
    ).toEqual(["import { B } from '@sentinel/ingest'"]);
    const found = files(src).flatMap((f) => runtimeImports(readFileSync(f, 'utf8')).map((s) => `${f}: ${s}`));
    expect(found).toEqual([]);
  });
});
