// What the inspection engine is fed (facts from the session layer) and what it returns (a verdict for
// the session and the findings that become decision events).
import type { Decision, EventRule, ProtocolVersion, ReasonCode } from '@sentinel/ingest';
import type { Verdict } from '../policy/types.ts';
import { ALLOW } from '../policy/types.ts';

/** What the session layer does with a packet, strongest last: the engine returns the strongest. */
export const INSPECTION_ACTIONS = ['allow', 'flag', 'quarantine', 'drop', 'block', 'disconnect'] as const;
export type InspectionAction = (typeof INSPECTION_ACTIONS)[number];

export const ACTION_RANK: Record<InspectionAction, number> = {
  allow: 0,
  flag: 1,
  quarantine: 2,
  drop: 3,
  block: 4,
  disconnect: 5,
};

/** One decision to record: becomes one DecisionEventV1 (kind follows the reason's family). */
export interface Finding {
  reason: ReasonCode;
  /** The event's decision field. */
  decision: Decision;
  action: InspectionAction;
  severity: number;
  /** Rule id, name, technique, what matched (safe to display) and the values that tripped it. */
  rule: EventRule;
  message: string;
  /**
   * Decides the outcome but is not reported: repeats within one second of a flood would otherwise be one
   * event per dropped message. `resultOf` leaves quiet findings out of `findings`.
   */
  quiet?: boolean;
}

export interface InspectionResult {
  /** The strongest action of the findings. */
  action: InspectionAction;
  /** ALLOW for allow / flag; a Denial (the strongest finding's reason) otherwise. */
  verdict: Verdict;
  findings: readonly Finding[];
}

export const CLEAN: InspectionResult = Object.freeze({
  action: 'allow',
  verdict: ALLOW,
  findings: Object.freeze([]),
});

/** The session as the inspection engine knows it. */
export interface SessionFacts {
  /** The node's id for this connection. */
  sessionId: string;
  clientId: string;
  ip: string;
  username?: string;
  /** SHA-256 of the client certificate (DER), lowercase hex. */
  certFingerprint?: string;
  protocolVersion: ProtocolVersion;
}

/** A PUBLISH that passed protocol validation, rate limits and the ACL. */
export interface PublishFacts {
  topic: string;
  payload: Uint8Array;
  qos: 0 | 1 | 2;
  retain: boolean;
  dup: boolean;
  packetId?: number;
  /** MQTT 5 user properties (mqtt-packet shape: a repeated key gives an array). */
  userProperties?: Record<string, string | string[]>;
  /** The ACL's answer to canPublish(topic, retain), for retain-abuse tracking. */
  acl?: Verdict;
}

/** Fold findings into a result: strongest action wins; its reason goes on the Denial. */
export function resultOf(findings: Finding[]): InspectionResult {
  if (findings.length === 0) return CLEAN;
  let top = findings[0]!;
  for (const f of findings) if (ACTION_RANK[f.action] > ACTION_RANK[top.action]) top = f;
  const denies = ACTION_RANK[top.action] >= ACTION_RANK.quarantine;
  return {
    action: top.action,
    verdict: denies
      ? { ok: false, reason: top.reason, rule: top.rule, severity: top.severity, message: top.message }
      : ALLOW,
    findings: findings.some((f) => f.quiet === true) ? findings.filter((f) => f.quiet !== true) : findings,
  };
}

export function finding(
  reason: ReasonCode,
  decision: Decision,
  action: InspectionAction,
  severity: number,
  rule: EventRule,
  message: string,
): Finding {
  return { reason, decision, action, severity, rule, message };
}
