// Compliance reports: the requirement catalogs are data (one file per standard in standards/), evaluated
// against what the running configuration says (ConfigFacts) and what the store holds for the range
// (Evidence). Nothing here does I/O.

export const REQUIREMENT_STATUSES = ['met', 'partly_met', 'not_met', 'not_applicable'] as const;
export type RequirementStatus = (typeof REQUIREMENT_STATUSES)[number];

export const STATUS_LABEL: Record<RequirementStatus, string> = {
  met: 'MET',
  partly_met: 'PARTLY MET',
  not_met: 'NOT MET',
  not_applicable: 'NOT APPLICABLE',
};

/**
 * What the configuration says about each control. `undefined` means the setting is not part of the
 * configuration this process sees (e.g. no enforcement section): the check then relies on evidence.
 */
export interface ConfigFacts {
  /** A TLS listener for devices is enabled. */
  tls: boolean | undefined;
  /** Devices must present a client certificate (mTLS required). */
  mtls: boolean | undefined;
  /** The client certificate must match the client id. */
  certBinding: boolean | undefined;
  /** Device authentication goes to an auth callout. */
  authCallout: boolean | undefined;
  /** Rate-limit tiers are configured on the enforcement node. */
  deviceRateLimits: boolean | undefined;
  /** Topic ACLs default to a restrictive rule set (no wildcards, scoped topics). */
  aclDefaultDeny: boolean | undefined;
  /** Payload inspection (signatures, anomalies) is on. */
  inspection: boolean | undefined;
  /** Protocol limits (packet size, connect timeout) are enforced. */
  protocolLimits: boolean | undefined;
  /** Automatic bans from detections. */
  autoBans: boolean;
  /** API access needs role-scoped tokens. */
  apiRbac: boolean;
  /** The API limits request rates. */
  apiRateLimits: boolean;
  /** Reports are signed with an Ed25519 key. */
  reportSigning: boolean;
  /** NATS (the event log) requires credentials. */
  natsAuth: boolean;
  /** NATS connections use TLS. */
  natsTls: boolean;
  /** Days decision events are kept in the store. */
  retentionDays: number;
  /** Days incidents, decisions and analyst actions are kept on the streams. */
  recordRetentionDays: number;
  /** Stream replicas (1 on one node, 3 in a cluster). */
  replicas: number;
}

export type FactKey = keyof ConfigFacts;

export interface ReasonCount {
  reason: string;
  events: number;
}

export interface Evidence {
  from: number;
  to: number;
  scope: { scope: string; value: string } | null;
  totalEvents: number;
  /** Distinct events per reason code in the range. */
  byReason: ReasonCount[];
  topRules: { rule: string; events: number }[];
  incidents: { rule: string; technique: string; incidents: number }[];
  bans: { origin: string; action: string; count: number }[];
  /** Analyst actions on incidents recorded in the range. */
  incidentActions: number;
  /** Sample event ids per reason family (auth, rate, acl, ...), at most `sampleSize` each. */
  samples: Record<string, string[]>;
}

/** One requirement as data: which settings implement it and which events show it working. */
export interface RequirementSpec {
  id: string;
  title: string;
  /** The requirement in a sentence, paraphrased. */
  summary: string;
  /** Settings that must all hold for "met". */
  requires: readonly { fact: FactKey; label: string }[];
  /** Settings that strengthen it; if one is off the status is at most "partly met". */
  supports?: readonly { fact: FactKey; label: string }[];
  /** Reason codes or families (`auth.`) whose events show the control operating. */
  evidence: readonly string[];
  /** With no such event in the range the status is at most "partly met". */
  evidenceRequired?: boolean;
  /** Retention-type requirements: the minimum days of `retentionDays`. */
  minRetentionDays?: number;
  /** When this fact is false the requirement does not apply (e.g. no TLS listener for CR 1.9-type). */
  applicableWhen?: FactKey;
  /** Set when the requirement is about the development process, not the running system: not applicable. */
  outOfScope?: string;
  /** Explains how Sentinel addresses it, for the auditor. */
  how: string;
}

export interface Standard {
  id: string;
  name: string;
  version: string;
  requirements: readonly RequirementSpec[];
}

export interface RequirementResult {
  id: string;
  title: string;
  status: RequirementStatus;
  rationale: string;
  evidenceEvents: number;
  sampleEventIds: string[];
}

export interface Report {
  kind: 'sentinel.compliance-report';
  version: 1;
  standard: { id: string; name: string; version: string };
  generatedAt: number;
  range: { from: number; to: number };
  scope: { scope: string; value: string } | null;
  facts: ConfigFacts;
  summary: Record<RequirementStatus, number>;
  requirements: RequirementResult[];
  evidence: Evidence;
  /** SHA-256 of the canonical evidence JSON. */
  evidenceDigest: string;
}
