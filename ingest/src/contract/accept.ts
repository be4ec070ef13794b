// The yes/no form of the decision-event contract check, for the read paths where nearly every record is
// valid (analytics ingestion, the SIEM export): the same checks in the same terms as checkDecisionEvent()
// in validate.ts, without building a checker, closures and problem lists per record. It only ever answers
// "valid" when the full check would; validateDecisionEvent() runs the full check on a "no", so it names
// the problems (and a record turned down here by mistake would still be accepted, only slower). The
// equivalence tests (siem-export/test/unit/accept.test.ts) compare both on valid, mutated and hostile
// records.
import { isReasonCode } from './reasons.ts';
import { isUlid } from './ulid.ts';
import { DECISIONS, EVENT_KINDS, PACKET_TYPES, PROTOCOL_VERSIONS } from './v1.ts';
import type { DecisionEventV1 } from './v1.ts';

type Obj = Record<string, unknown>;

// The full check's limits (validate.ts).
const MAX_STRING = 4096;
const MAX_TIME = 8_640_000_000_000_000;
const QOS = [0, 1, 2];
const SUBJECT_STRINGS = [
  'clientId',
  'username',
  'ip',
  'certFingerprint',
  'certSubject',
  'sessionId',
  'transport',
] as const;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A present, non-empty string of at most `max` characters. */
function requiredString(v: unknown, max: number): boolean {
  return typeof v === 'string' && v.length > 0 && v.length <= max;
}

/** Absent, or a string of at most `max` characters. */
function optionalString(v: unknown, max: number): boolean {
  return v === undefined || (typeof v === 'string' && v.length <= max);
}

function int(v: unknown, min: number, max: number): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function optionalInt(v: unknown, min: number, max: number): boolean {
  return v === undefined || int(v, min, max);
}

function optionalOneOf(v: unknown, allowed: readonly (string | number)[]): boolean {
  return v === undefined || allowed.includes(v as string | number);
}

function optionalBool(v: unknown): boolean {
  return v === undefined || typeof v === 'boolean';
}

function subjectOk(s: unknown): boolean {
  if (!isObject(s)) return false;
  for (const f of SUBJECT_STRINGS) if (!optionalString(s[f], 1024)) return false;
  return optionalInt(s.port, 0, 65535) && optionalOneOf(s.protocolVersion, PROTOCOL_VERSIONS);
}

function mqttOk(m: unknown): boolean {
  if (m === undefined) return true;
  if (!isObject(m)) return false;
  return (
    optionalOneOf(m.packetType, PACKET_TYPES) &&
    optionalString(m.topic, 65535) &&
    optionalOneOf(m.qos, QOS) &&
    optionalBool(m.retain) &&
    optionalBool(m.dup) &&
    optionalInt(m.packetId, 0, 65535) &&
    optionalInt(m.payloadSize, 0, 268_435_455) &&
    optionalInt(m.messages, 0, Number.MAX_SAFE_INTEGER) &&
    optionalInt(m.bytes, 0, Number.MAX_SAFE_INTEGER) &&
    optionalInt(m.intervalMs, 0, Number.MAX_SAFE_INTEGER)
  );
}

function flatRecordOk(v: unknown): boolean {
  if (v === undefined) return true;
  if (!isObject(v)) return false;
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    const t = typeof v[k];
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return false;
  }
  return true;
}

function ruleOk(r: unknown): boolean {
  if (r === undefined) return true;
  if (!isObject(r)) return false;
  return (
    requiredString(r.id, 255) &&
    optionalString(r.name, 255) &&
    optionalString(r.technique, 32) &&
    optionalString(r.matched, 1024) &&
    flatRecordOk(r.values)
  );
}

/** True exactly when checkDecisionEvent(input) would find no problem. */
export function isValidDecisionEvent(input: unknown): input is DecisionEventV1 {
  if (!isObject(input)) return false;
  const o = input;
  return (
    o.v === 1 &&
    typeof o.id === 'string' &&
    isUlid(o.id) &&
    int(o.ts, 0, MAX_TIME) &&
    requiredString(o.node, 255) &&
    EVENT_KINDS.includes(o.kind as never) &&
    DECISIONS.includes(o.decision as never) &&
    requiredString(o.reason, 128) &&
    isReasonCode(o.reason as string) &&
    int(o.severity, 0, 10) &&
    optionalString(o.message, MAX_STRING) &&
    subjectOk(o.subject) &&
    mqttOk(o.mqtt) &&
    ruleOk(o.rule)
  );
}
