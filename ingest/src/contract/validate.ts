// Validation at the boundary (consumers, HTTP intake): each problem names the field and says why.
// Hand-written rather than schema-generated so that the messages read well and the consumer path
// stays fast (about a microsecond per event).
import { isValidDecisionEvent } from './accept.ts';
import { isReasonCode } from './reasons.ts';
import { isUlid } from './ulid.ts';
import {
  ACTION_TYPES,
  BAN_ACTIONS,
  DECISIONS,
  DECISION_ORIGINS,
  EVENT_KINDS,
  IDENTITY_SCOPES,
  INCIDENT_STATUSES,
  PACKET_TYPES,
  PROTOCOL_VERSIONS,
} from './v1.ts';
import type { AnalystActionV1, BanDecisionV1, DecisionEventV1, IncidentV1 } from './v1.ts';

export interface FieldProblem {
  field: string;
  problem: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

type Obj = Record<string, unknown>;

const MAX_STRING = 4096;

class Checker {
  readonly problems: FieldProblem[] = [];
  constructor(private readonly prefix = '') {}

  private add(field: string, problem: string): void {
    this.problems.push({ field: this.prefix + field, problem });
  }

  object(o: Obj, field: string, required: boolean): Obj | undefined {
    const v = o[field];
    if (v === undefined) {
      if (required) this.add(field, 'is required');
      return undefined;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.add(field, `must be an object, got ${describe(v)}`);
      return undefined;
    }
    return v as Obj;
  }

  string(o: Obj, field: string, required: boolean, max = MAX_STRING): void {
    const v = o[field];
    if (v === undefined) {
      if (required) this.add(field, 'is required');
      return;
    }
    if (typeof v !== 'string') this.add(field, `must be a string, got ${describe(v)}`);
    else if (required && v.length === 0) this.add(field, 'must not be empty');
    else if (v.length > max) this.add(field, `must be at most ${max} characters, got ${v.length}`);
  }

  int(o: Obj, field: string, required: boolean, min: number, max: number): void {
    const v = o[field];
    if (v === undefined) {
      if (required) this.add(field, 'is required');
      return;
    }
    if (typeof v !== 'number' || !Number.isInteger(v))
      this.add(field, `must be an integer, got ${describe(v)}`);
    else if (v < min || v > max) this.add(field, `must be between ${min} and ${max}, got ${v}`);
  }

  bool(o: Obj, field: string): void {
    const v = o[field];
    if (v !== undefined && typeof v !== 'boolean')
      this.add(field, `must be true or false, got ${describe(v)}`);
  }

  oneOf(o: Obj, field: string, allowed: readonly (string | number)[], required: boolean): void {
    const v = o[field];
    if (v === undefined) {
      if (required) this.add(field, 'is required');
      return;
    }
    if (!allowed.includes(v as string | number)) {
      this.add(field, `must be one of ${allowed.join(', ')}, got ${describe(v)}`);
    }
  }

  ulid(o: Obj, field: string): void {
    const v = o[field];
    if (typeof v !== 'string' || !isUlid(v))
      this.add(field, `must be a ULID (26 base32 characters), got ${describe(v)}`);
  }

  version(o: Obj): void {
    if (o.v !== 1)
      this.add('v', `must be 1 (this reader understands schema version 1), got ${describe(o.v)}`);
  }

  flatRecord(o: Obj, field: string): void {
    const v = this.object(o, field, false);
    if (!v) return;
    for (const [k, x] of Object.entries(v)) {
      if (!['string', 'number', 'boolean'].includes(typeof x)) {
        this.add(`${field}.${k}`, `must be a string, number or boolean, got ${describe(x)}`);
      }
    }
  }

  stringArray(o: Obj, field: string, required: boolean, maxItems: number): void {
    const v = o[field];
    if (v === undefined) {
      if (required) this.add(field, 'is required');
      return;
    }
    if (!Array.isArray(v)) this.add(field, `must be an array of strings, got ${describe(v)}`);
    else if (v.length > maxItems) this.add(field, `must have at most ${maxItems} items, got ${v.length}`);
    else if (v.some((x) => typeof x !== 'string')) this.add(field, 'must contain only strings');
  }

  nested(o: Obj, field: string, required: boolean, check: (c: Checker, inner: Obj) => void): void {
    const inner = this.object(o, field, required);
    if (!inner) return;
    const c = new Checker(`${this.prefix}${field}.`);
    check(c, inner);
    this.problems.push(...c.problems);
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function root(input: unknown): Obj | FieldProblem[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return [{ field: '(record)', problem: `must be a JSON object, got ${describe(input)}` }];
  }
  return input as Obj;
}

function finish<T>(c: Checker, o: Obj): Validated<T> {
  return c.problems.length === 0
    ? { ok: true, value: o as unknown as T }
    : { ok: false, problems: c.problems };
}

function envelope(c: Checker, o: Obj): void {
  c.version(o);
  c.ulid(o, 'id');
  c.int(o, 'ts', true, 0, 8_640_000_000_000_000);
}

/**
 * The decision-event contract at a boundary. Nearly every record is valid, so the yes/no check
 * (accept.ts) answers first; only a record it turns down goes through the full check, which names each
 * problem. Both give the same verdict (equivalence tests), and a valid record is returned as it came.
 */
export function validateDecisionEvent(input: unknown): Validated<DecisionEventV1> {
  return isValidDecisionEvent(input) ? { ok: true, value: input } : checkDecisionEvent(input);
}

/** The full check of a decision event: every field that is wrong, and why. */
export function checkDecisionEvent(input: unknown): Validated<DecisionEventV1> {
  const o = root(input);
  if (Array.isArray(o)) return { ok: false, problems: o };
  const c = new Checker();
  envelope(c, o);
  c.string(o, 'node', true, 255);
  c.oneOf(o, 'kind', EVENT_KINDS, true);
  c.oneOf(o, 'decision', DECISIONS, true);
  c.string(o, 'reason', true, 128);
  if (typeof o.reason === 'string' && o.reason.length > 0 && !isReasonCode(o.reason)) {
    c.problems.push({ field: 'reason', problem: `is not a known reason code: ${describe(o.reason)}` });
  }
  c.int(o, 'severity', true, 0, 10);
  c.string(o, 'message', false);
  c.nested(o, 'subject', true, (s, x) => {
    for (const f of [
      'clientId',
      'username',
      'ip',
      'certFingerprint',
      'certSubject',
      'sessionId',
      'transport',
    ]) {
      s.string(x, f, false, 1024);
    }
    s.int(x, 'port', false, 0, 65535);
    s.oneOf(x, 'protocolVersion', PROTOCOL_VERSIONS, false);
  });
  c.nested(o, 'mqtt', false, (m, x) => {
    m.oneOf(x, 'packetType', PACKET_TYPES, false);
    m.string(x, 'topic', false, 65535);
    m.oneOf(x, 'qos', [0, 1, 2], false);
    m.bool(x, 'retain');
    m.bool(x, 'dup');
    m.int(x, 'packetId', false, 0, 65535);
    m.int(x, 'payloadSize', false, 0, 268_435_455);
    m.int(x, 'messages', false, 0, Number.MAX_SAFE_INTEGER);
    m.int(x, 'bytes', false, 0, Number.MAX_SAFE_INTEGER);
    m.int(x, 'intervalMs', false, 0, Number.MAX_SAFE_INTEGER);
  });
  c.nested(o, 'rule', false, (r, x) => {
    r.string(x, 'id', true, 255);
    r.string(x, 'name', false, 255);
    r.string(x, 'technique', false, 32);
    r.string(x, 'matched', false, 1024);
    r.flatRecord(x, 'values');
  });
  return finish<DecisionEventV1>(c, o);
}

export function validateIncident(input: unknown): Validated<IncidentV1> {
  const o = root(input);
  if (Array.isArray(o)) return { ok: false, problems: o };
  const c = new Checker();
  envelope(c, o);
  c.string(o, 'incidentId', true, 64);
  c.string(o, 'rule', true, 128);
  c.string(o, 'title', true, 512);
  c.int(o, 'severity', true, 0, 10);
  c.oneOf(o, 'status', INCIDENT_STATUSES, true);
  c.string(o, 'technique', true, 32);
  c.string(o, 'tactic', true, 64);
  c.nested(o, 'identity', true, (i, x) => {
    i.oneOf(x, 'scope', IDENTITY_SCOPES, true);
    i.string(x, 'value', true, 1024);
  });
  c.int(o, 'firstSeen', true, 0, 8_640_000_000_000_000);
  c.int(o, 'lastSeen', true, 0, 8_640_000_000_000_000);
  c.int(o, 'eventCount', true, 1, Number.MAX_SAFE_INTEGER);
  c.stringArray(o, 'eventIds', true, 1000);
  c.string(o, 'remediation', false);
  c.string(o, 'assignee', false, 255);
  return finish<IncidentV1>(c, o);
}

export function validateBanDecision(input: unknown): Validated<BanDecisionV1> {
  const o = root(input);
  if (Array.isArray(o)) return { ok: false, problems: o };
  const c = new Checker();
  envelope(c, o);
  c.oneOf(o, 'action', BAN_ACTIONS, true);
  c.oneOf(o, 'scope', IDENTITY_SCOPES, true);
  c.string(o, 'value', true, 1024);
  c.int(o, 'durationS', true, 0, 10 * 365 * 86400);
  c.int(o, 'until', true, 0, 8_640_000_000_000_000);
  c.oneOf(o, 'origin', DECISION_ORIGINS, true);
  c.string(o, 'reason', true, 255);
  c.int(o, 'offense', false, 1, 1_000_000);
  c.string(o, 'incidentId', false, 64);
  c.string(o, 'actor', false, 255);
  return finish<BanDecisionV1>(c, o);
}

export function validateAnalystAction(input: unknown): Validated<AnalystActionV1> {
  const o = root(input);
  if (Array.isArray(o)) return { ok: false, problems: o };
  const c = new Checker();
  envelope(c, o);
  c.oneOf(o, 'action', ACTION_TYPES, true);
  c.string(o, 'actor', true, 255);
  c.string(o, 'role', true, 32);
  c.string(o, 'target', true, 1024);
  c.flatRecord(o, 'details');
  return finish<AnalystActionV1>(c, o);
}

/** One line for logs and dead-letter headers: `kind: must be one of …; severity: is required`. */
export function formatProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field} ${p.problem}`).join('; ');
}
