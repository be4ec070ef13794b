// OCSF 1.1 for data lakes. Three classes, chosen by what the record is:
// - Authentication (3002) for the connect, auth and tls kinds: a logon attempt and its outcome;
// - Network Activity (4001) for allowed traffic (subscribe, publish, publish_summary, disconnect);
// - Detection Finding (2004) for every other event (a check that denied, dropped or flagged) and for
//   incidents, with the MITRE technique in finding_info.attacks.
// What OCSF has no attribute for goes to `unmapped`, never into a field that means something else.
import { reasonInfo } from '@sentinel/ingest';
import type { DecisionEventV1, IncidentV1 } from '@sentinel/ingest';
import { commonFields } from './fields.ts';
import type { CommonFields } from './fields.ts';
import type { Formatter, FormatOptions } from './types.ts';

export const OCSF_VERSION = '1.1.0';
export const OCSF_CLASS = { authentication: 3002, networkActivity: 4001, detectionFinding: 2004 } as const;

const AUTH_KINDS = new Set(['connect', 'auth', 'tls']);
const TRAFFIC_KINDS = new Set(['subscribe', 'publish', 'publish_summary', 'disconnect']);

/** OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical. */
export function ocsfSeverityId(sev: number): number {
  if (sev >= 9) return 5;
  if (sev >= 7) return 4;
  if (sev >= 4) return 3;
  if (sev >= 1) return 2;
  return 1;
}
const SEVERITY_NAMES = ['Unknown', 'Informational', 'Low', 'Medium', 'High', 'Critical'];

type Obj = Record<string, unknown>;

/** Drop undefined members so the JSON carries only what is known. */
function clean<T extends Obj>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

function base(
  f: CommonFields,
  o: FormatOptions,
  classUid: number,
  activityId: number,
  activity: string,
): Obj {
  const sid = ocsfSeverityId(f.severity);
  return {
    class_uid: classUid,
    category_uid: Math.floor(classUid / 1000),
    activity_id: activityId,
    activity_name: activity,
    type_uid: classUid * 100 + activityId,
    time: f.ts,
    severity_id: sid,
    severity: SEVERITY_NAMES[sid],
    message: f.message,
    metadata: {
      version: OCSF_VERSION,
      uid: f.id,
      product: { name: o.product, vendor_name: o.vendor, version: o.version },
    },
  };
}

function srcEndpoint(f: CommonFields): Obj | undefined {
  if (f.srcIp === undefined && f.srcPort === undefined) return undefined;
  return clean({ ip: f.srcIp, port: f.srcPort });
}

function user(f: CommonFields): Obj | undefined {
  if (f.user === undefined && f.clientId === undefined) return undefined;
  return clean({ name: f.user, uid: f.clientId });
}

function sentinelUnmapped(ev: DecisionEventV1): Obj {
  return clean({
    kind: ev.kind,
    decision: ev.decision,
    reason: ev.reason,
    severity: ev.severity,
    node: ev.node,
    client_id: ev.subject.clientId,
    session_id: ev.subject.sessionId,
    transport: ev.subject.transport,
    protocol_version: ev.subject.protocolVersion,
    mqtt: ev.mqtt,
    rule: ev.rule,
  });
}

function authentication(ev: DecisionEventV1, f: CommonFields, o: FormatOptions): Obj {
  const ok = ev.decision === 'allow';
  return clean({
    ...base(f, o, OCSF_CLASS.authentication, 1, 'Logon'),
    status_id: ok ? 1 : 2,
    status: ok ? 'Success' : 'Failure',
    status_detail: ev.reason,
    src_endpoint: srcEndpoint(f),
    dst_endpoint: { hostname: ev.node },
    user: user(f),
    certificate: ev.subject.certFingerprint
      ? clean({
          fingerprints: [{ algorithm_id: 3, value: ev.subject.certFingerprint }],
          subject: ev.subject.certSubject,
        })
      : undefined,
    unmapped: { sentinel: sentinelUnmapped(ev) },
  });
}

function networkActivity(ev: DecisionEventV1, f: CommonFields, o: FormatOptions): Obj {
  const close = ev.kind === 'disconnect';
  return clean({
    ...base(f, o, OCSF_CLASS.networkActivity, close ? 2 : 6, close ? 'Close' : 'Traffic'),
    status_id: 1,
    status: 'Success',
    src_endpoint: srcEndpoint(f),
    dst_endpoint: { hostname: ev.node },
    actor: f.user !== undefined || f.clientId !== undefined ? { user: user(f) } : undefined,
    traffic:
      ev.mqtt?.bytes !== undefined || ev.mqtt?.messages !== undefined
        ? clean({ bytes: ev.mqtt.bytes, packets: ev.mqtt.messages })
        : undefined,
    unmapped: { sentinel: sentinelUnmapped(ev) },
  });
}

function attacks(f: CommonFields): Obj[] | undefined {
  if (!f.technique) return undefined;
  return [
    clean({
      version: 'v15',
      technique: clean({ uid: f.technique, name: f.techniqueName }),
      tactic: f.tactic ? { name: f.tactic } : undefined,
    }),
  ];
}

function eventFinding(ev: DecisionEventV1, f: CommonFields, o: FormatOptions): Obj {
  return clean({
    ...base(f, o, OCSF_CLASS.detectionFinding, 1, 'Create'),
    status_id: 1,
    status: 'New',
    finding_info: clean({
      uid: ev.id,
      title: reasonInfo(ev.reason)?.description ?? ev.reason,
      types: [ev.kind],
      analytic: clean({
        uid: ev.rule?.id ?? ev.reason,
        name: ev.rule?.name ?? ev.reason,
        type_id: 1,
        type: 'Rule',
      }),
      attacks: attacks(f),
    }),
    evidences: [
      clean({ src_endpoint: srcEndpoint(f), actor: f.user || f.clientId ? { user: user(f) } : undefined }),
    ],
    unmapped: { sentinel: sentinelUnmapped(ev) },
  });
}

const INCIDENT_STATUS: Record<
  IncidentV1['status'],
  [statusId: number, status: string, activityId: number, activity: string]
> = {
  new: [1, 'New', 1, 'Create'],
  acknowledged: [2, 'In Progress', 2, 'Update'],
  resolved: [4, 'Resolved', 3, 'Close'],
};

function incidentFinding(inc: IncidentV1, f: CommonFields, o: FormatOptions): Obj {
  const [statusId, status, activityId, activity] = INCIDENT_STATUS[inc.status];
  return clean({
    ...base(f, o, OCSF_CLASS.detectionFinding, activityId, activity),
    status_id: statusId,
    status,
    finding_info: clean({
      uid: inc.incidentId,
      title: inc.title,
      first_seen_time: inc.firstSeen,
      last_seen_time: inc.lastSeen,
      related_events: inc.eventIds.map((uid) => ({ uid })),
      analytic: { uid: inc.rule, name: inc.rule, type_id: 1, type: 'Rule' },
      attacks: attacks(f),
    }),
    count: inc.eventCount,
    remediation: inc.remediation ? { desc: inc.remediation } : undefined,
    unmapped: { sentinel: clean({ identity: inc.identity, assignee: inc.assignee, record_id: inc.id }) },
  });
}

export function toOcsf(rec: Parameters<Formatter>[0], o: FormatOptions, fields?: CommonFields): Obj {
  const f = fields ?? commonFields(rec);
  if (rec.type === 'incident') return incidentFinding(rec.value, f, o);
  const ev = rec.value;
  if (AUTH_KINDS.has(ev.kind)) return authentication(ev, f, o);
  if (TRAFFIC_KINDS.has(ev.kind) && ev.decision === 'allow') return networkActivity(ev, f, o);
  return eventFinding(ev, f, o);
}

export const formatOcsf: Formatter = (rec, o, fields) => JSON.stringify(toOcsf(rec, o, fields));
