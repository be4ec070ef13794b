// The seams of the enforcement pipeline. Policy code (rate limits, auth, ACLs, penalty box, inspection)
// takes parsed packets and identities and returns verdicts; it never sees a socket. The session layer
// (proxy or embedded) calls these steps in order and turns a denial into the right CONNACK / SUBACK /
// PUBACK / DISCONNECT for the protocol version, and into a decision event.
import type { EventRule, IdentityScope, ProtocolVersion, ReasonCode } from '@sentinel/ingest';

/** Who is connecting, as the transport and the CONNECT packet tell it. */
export interface ConnectIdentity {
  clientId: string;
  username?: string;
  /** Only ever held for the duration of the auth step; never logged, never cached in clear. */
  password?: Buffer;
  ip: string;
  port: number;
  /** SHA-256 of the client certificate (DER), lowercase hex, when mTLS presented one. */
  certFingerprint?: string;
  certSubject?: string;
  /** Common name of the client certificate, for device-bound certificates. */
  certCommonName?: string;
  protocolVersion: ProtocolVersion;
  transport: 'tcp' | 'tls' | 'ws' | 'wss' | 'embedded';
}

/** The identity of an authenticated session, used for ACL substitution and ban matching. */
export interface SessionIdentity {
  clientId: string;
  username?: string;
  ip: string;
  certFingerprint?: string;
}

/** Why a step denied: the reason code fixes kind and default severity; rule carries the values. */
export interface Denial {
  ok: false;
  reason: ReasonCode;
  rule?: EventRule;
  /** Severity override; the reason's default otherwise. */
  severity?: number;
  message?: string;
}

export interface Allowance {
  ok: true;
}

export type Verdict = Allowance | Denial;

export const ALLOW: Allowance = Object.freeze({ ok: true });

// ---- rate limiting -----------------------------------------------------------------------------

export const RATE_TIERS = ['global', 'per_ip', 'connect', 'publish', 'subscribe', 'per_client'] as const;
export type RateTier = (typeof RATE_TIERS)[number];

export interface TierLimit {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size. */
  burst: number;
}

export type RateLimits = Record<RateTier, TierLimit>;

/** Six token-bucket tiers, evaluated in order; the first empty bucket denies with `rate.<tier>`. */
export interface RateLimiter {
  /** A CONNECT from `ip`: tiers global, per_ip, connect. */
  connect(ip: string, now: number): Verdict;
  /** A PUBLISH: global, per_ip, publish, per_client. */
  publish(ip: string, clientId: string, now: number): Verdict;
  /** A SUBSCRIBE: global, per_ip, subscribe, per_client. */
  subscribe(ip: string, clientId: string, now: number): Verdict;
  /** Any other client packet (PINGREQ, PUBACK …): global and per_ip only. */
  other(ip: string, now: number): Verdict;
  /** Number of buckets held (bounded however many addresses or client ids an attacker rotates). */
  size(): number;
}

// ---- authentication ----------------------------------------------------------------------------

/** One ACL rule list: topic filters with %c (client id) and %u (username) placeholders. */
export interface AclRuleSet {
  publish?: { allow?: string[]; deny?: string[] };
  subscribe?: { allow?: string[]; deny?: string[] };
  /** Whether this identity may publish retained messages (default false for devices). */
  retain?: boolean;
  /** Whether wildcard subscriptions are allowed (default false for devices). */
  wildcards?: boolean;
}

export interface AuthResult {
  allow: boolean;
  /** auth.ok, auth.bad_credentials, auth.unknown_client, auth.unavailable, auth.expired … */
  reason: ReasonCode;
  acl?: AclRuleSet;
  /** When the grant stops being valid, ms since epoch. */
  expiresAt?: number;
  cache: 'hit' | 'miss';
  latencyMs: number;
}

/** The auth callout: one HTTP POST per cache miss, fail-closed. */
export interface Authenticator {
  authenticate(id: ConnectIdentity): Promise<AuthResult>;
  close(): Promise<void>;
}

// ---- topic ACLs --------------------------------------------------------------------------------

/** ACLs compiled for one session (placeholders substituted). */
export interface SessionAcl {
  canPublish(topic: string, retain: boolean): Verdict;
  canSubscribe(filter: string): Verdict;
  /** For messages the broker delivers: is `topic` covered by the subscribe ACL? */
  canReceive(topic: string): Verdict;
}

export interface AclEngine {
  forSession(id: SessionIdentity, rules: AclRuleSet | undefined): SessionAcl;
}

// ---- penalty box -------------------------------------------------------------------------------

export interface ActiveBan {
  scope: IdentityScope;
  value: string;
  /** ms since epoch. */
  until: number;
  reason: string;
  decisionId: string;
}

export interface PenaltyBox {
  /** The ban that covers any field of this identity (IP, IP range, client id, username, certificate). */
  check(
    id: { ip: string; clientId?: string; username?: string; certFingerprint?: string },
    now: number,
  ): ActiveBan | undefined;
  /** Called for every ban that arrives, so live sessions it covers can be closed. */
  onBan(listener: (ban: ActiveBan) => void): void;
  /** Active bans held. */
  size(): number;
}
