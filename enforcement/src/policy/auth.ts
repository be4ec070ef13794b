// The auth callout: one HTTP POST per cache miss over pooled keep-alive connections, fail-closed.
//
// Request:  {"clientId","username","password","ip","certFingerprint","certSubject","protocolVersion","transport"}
// Answer:   {"allow":true|false, "acl"?: AclRuleSet, "expiresAt"?: ms since epoch | ISO time,
//            "ttl"?: seconds, "reason"?: "auth.bad_credentials" | "auth.unknown_client" | "auth.expired" …}
//
// An answer that does not arrive in time, a 5xx, or a body that is not a valid answer denies with
// auth.unavailable and is not cached, so the next attempt asks again; allows already cached keep being
// served while the endpoint is away. Concurrent CONNECTs with the same identity share one callout.
import { Pool } from 'undici';
import { z } from 'zod';
import { isReasonCode, silentLogger } from '@sentinel/ingest';
import type { Logger, ReasonCode } from '@sentinel/ingest';
import { AuthCache } from './auth-cache.ts';
import type { CachedAuth } from './auth-cache.ts';
import { aclRuleSetSchema } from './config.ts';
import type { AuthConfig } from './config.ts';
import { PolicyError, PolicyErrorCode } from './errors.ts';
import type { AuthResult, Authenticator, ConnectIdentity } from './types.ts';

export interface AuthCalloutRequest {
  clientId: string;
  username?: string;
  password?: string;
  ip: string;
  certFingerprint?: string;
  certSubject?: string;
  protocolVersion: number;
  transport: string;
}

/** Sends one request and returns the parsed JSON body; throws when there is no usable answer. */
export type AuthTransport = (req: AuthCalloutRequest, signal: AbortSignal) => Promise<unknown>;

export type CalloutOutcome = 'allow' | 'deny' | 'error';

/** Hooks for the node's metrics (mqtt_proxy_auth_requests_total, mqtt_proxy_auth_latency_seconds). */
export interface AuthMetricsHooks {
  /** Every authenticate() result, hit or miss. */
  onResult?(result: AuthResult): void;
  /** Every HTTP callout actually made. */
  onCallout?(outcome: CalloutOutcome, latencyMs: number): void;
}

export interface HttpAuthenticatorOptions {
  config: Omit<AuthConfig, 'url'> & { url: string };
  log?: Logger;
  hooks?: AuthMetricsHooks;
  /** Replaces the HTTP transport (the default POSTs through an undici Pool). */
  transport?: AuthTransport;
  now?: () => number;
}

const answerSchema = z.object({
  allow: z.boolean(),
  acl: aclRuleSetSchema.optional().nullable(),
  expiresAt: z.union([z.number(), z.string()]).optional().nullable(),
  ttl: z.number().min(0).optional().nullable(),
  reason: z.string().max(64).optional().nullable(),
});
type Answer = z.output<typeof answerSchema>;

const DENY_REASONS = new Set<ReasonCode>([
  'auth.bad_credentials',
  'auth.unknown_client',
  'auth.expired',
  'auth.cert_mismatch',
  'auth.missing_credentials',
]);

function expiryOf(a: Answer, now: number): number | undefined {
  if (typeof a.expiresAt === 'number') return a.expiresAt;
  if (typeof a.expiresAt === 'string') {
    const t = Date.parse(a.expiresAt);
    return Number.isNaN(t) ? now : t; // an unreadable expiry is treated as already past
  }
  if (typeof a.ttl === 'number') return now + a.ttl * 1000;
  return undefined;
}

/** The default transport: JSON POST over a keep-alive pool. */
export function undiciTransport(
  url: string,
  connections: number,
  timeoutMs: number,
  token?: string,
): AuthTransport & { close(): Promise<void> } {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const path = `${u.pathname}${u.search}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const send = async (req: AuthCalloutRequest, signal: AbortSignal): Promise<unknown> => {
    const res = await pool.request({
      path,
      method: 'POST',
      headers,
      body: JSON.stringify(req),
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    if (res.statusCode >= 500) {
      await res.body.dump();
      throw new PolicyError(PolicyErrorCode.AuthUnavailable, `auth endpoint answered ${res.statusCode}`, {
        context: { status: res.statusCode },
      });
    }
    return res.body.json();
  };
  return Object.assign(send, { close: () => pool.close() });
}

export class HttpAuthenticator implements Authenticator {
  private readonly cache: AuthCache;
  private readonly inflight = new Map<string, Promise<CachedAuth | undefined>>();
  private readonly transport: AuthTransport;
  private readonly closeTransport: () => Promise<void>;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly cfg: HttpAuthenticatorOptions['config'];
  private readonly hooks: AuthMetricsHooks;
  /** Callouts made (for tests and the node's stats). */
  callouts = 0;

  constructor(opts: HttpAuthenticatorOptions) {
    this.cfg = opts.config;
    this.cache = new AuthCache(opts.config.cacheMaxEntries);
    this.log = opts.log ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.hooks = opts.hooks ?? {};
    if (opts.transport) {
      this.transport = opts.transport;
      this.closeTransport = async () => undefined;
    } else {
      const t = undiciTransport(
        opts.config.url,
        opts.config.connections,
        opts.config.timeoutMs,
        opts.config.token,
      );
      this.transport = t;
      this.closeTransport = () => t.close();
    }
  }

  /** Entries held in the cache. */
  cacheSize(): number {
    return this.cache.size;
  }

  async authenticate(id: ConnectIdentity): Promise<AuthResult> {
    const started = performance.now();
    const key = this.cache.keyOf(id);
    const hit = this.cache.get(key, this.now());
    if (hit) return this.result(hit, 'hit', started);
    let p = this.inflight.get(key);
    if (p === undefined) {
      p = this.callout(key, id).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const got = await p;
    return got
      ? this.result(got, 'miss', started)
      : this.result({ allow: false, reason: 'auth.unavailable', staleAt: 0 }, 'miss', started);
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.closeTransport();
  }

  private result(e: CachedAuth, cache: 'hit' | 'miss', started: number): AuthResult {
    const r: AuthResult = { allow: e.allow, reason: e.reason, cache, latencyMs: performance.now() - started };
    if (e.acl) r.acl = e.acl;
    if (e.expiresAt !== undefined) r.expiresAt = e.expiresAt;
    this.hooks.onResult?.(r);
    return r;
  }

  /** One POST; the entry it yields is cached, or undefined when the endpoint gave no usable answer. */
  private async callout(key: string, id: ConnectIdentity): Promise<CachedAuth | undefined> {
    this.callouts += 1;
    const started = performance.now();
    const req: AuthCalloutRequest = {
      clientId: id.clientId,
      ip: id.ip,
      protocolVersion: id.protocolVersion,
      transport: id.transport,
    };
    if (id.username !== undefined) req.username = id.username;
    if (id.password !== undefined) req.password = id.password.toString('utf8');
    if (id.certFingerprint !== undefined) req.certFingerprint = id.certFingerprint;
    if (id.certSubject !== undefined) req.certSubject = id.certSubject;
    let body: unknown;
    try {
      body = await this.transport(req, AbortSignal.timeout(this.cfg.timeoutMs));
    } catch (err) {
      this.hooks.onCallout?.('error', performance.now() - started);
      this.log.warn('auth endpoint unavailable; denying (fail-closed)', {
        clientId: id.clientId,
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
    const parsed = answerSchema.safeParse(body);
    if (!parsed.success) {
      this.hooks.onCallout?.('error', performance.now() - started);
      this.log.warn('auth endpoint gave an invalid answer; denying (fail-closed)', {
        clientId: id.clientId,
        problem: parsed.error.issues[0]?.message,
      });
      return undefined;
    }
    const entry = this.entryOf(parsed.data);
    this.hooks.onCallout?.(entry.allow ? 'allow' : 'deny', performance.now() - started);
    if (entry.staleAt > this.now()) this.cache.set(key, entry);
    return entry;
  }

  private entryOf(a: Answer): CachedAuth {
    const now = this.now();
    const expiresAt = expiryOf(a, now);
    if (a.allow && (expiresAt === undefined || expiresAt > now)) {
      const e: CachedAuth = {
        allow: true,
        reason: 'auth.ok',
        staleAt: Math.min(now + this.cfg.cacheTtlMs, expiresAt ?? Infinity),
      };
      if (a.acl) e.acl = a.acl;
      if (expiresAt !== undefined) e.expiresAt = expiresAt;
      return e;
    }
    const given = a.reason ?? '';
    const reason: ReasonCode = a.allow
      ? 'auth.expired'
      : isReasonCode(given) && DENY_REASONS.has(given)
        ? given
        : 'auth.bad_credentials';
    return { allow: false, reason, staleAt: now + this.cfg.denyCacheTtlMs };
  }
}
