// The one path every ban and unban takes, automatic or manual: allowlist check, escalation by offense,
// the BanDecisionV1 record on SENTINEL_DECISIONS (sentinel.decisions.ban / .unban), and the entry in the
// sentinel_bans KV bucket that enforcement nodes load at start and watch. Expired bans are deleted from
// the bucket (with an unban record) by a sweeper; a revision check keeps two analytics instances, or a
// re-ban in between, from deleting a newer entry.
import { KvWatchInclude } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import { BANS_BUCKET, SUBJECTS, banKey, ulid, validateBanDecision } from '@sentinel/ingest';
import type { BanDecisionV1, DecisionOrigin, EventPublisher, IdentityScope, Logger } from '@sentinel/ingest';
import { silentLogger } from '@sentinel/ingest';
import type { BanPolicy } from '../config.ts';
import { AllowlistedError, AnalyticsError, AnalyticsErrorCode } from '../errors.ts';
import type { AnalyticsMetrics } from '../metrics.ts';
import type { Store } from '../store/store.ts';
import { stableUlid } from '../util/ids.ts';
import type { Allowlist } from './allowlist.ts';
import { banDurationS } from './escalation.ts';

export interface BanRequest {
  scope: IdentityScope;
  value: string;
  reason: string;
  origin: DecisionOrigin;
  /** Fixed length; unset = escalate by offense with the policy. */
  durationS?: number;
  /** Per-rule overrides of the default policy. */
  policy?: Partial<BanPolicy>;
  incidentId?: string;
  /** Analyst token name for manual bans. */
  actor?: string;
  /** Seed time of a deterministic id (the incident's last event); manual bans get a fresh id. */
  idTs?: number;
}

export interface UnbanRequest {
  scope: IdentityScope;
  value: string;
  reason: string;
  origin: DecisionOrigin;
  actor?: string;
}

export interface DecisionEngineOptions {
  kv: KV;
  publisher: EventPublisher;
  policy: BanPolicy;
  allowlist: Allowlist;
  /** Offense history (decisions_v1); without it offenses count from this process's start. */
  store?: Store;
  offenseLookbackDays?: number;
  sweepMs?: number;
  metrics?: AnalyticsMetrics;
  log?: Logger;
  now?: () => number;
  random?: () => number;
}

interface Active {
  decision: BanDecisionV1;
  revision: number;
}

export class DecisionEngine {
  private readonly active = new Map<string, Active>();
  private readonly offenses = new Map<string, number>();
  private readonly own = new Set<string>();
  private readonly log: Logger;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private watcher: { stop(): void } | undefined;
  private sweeping = false;
  private stopped = false;

  constructor(private readonly o: DecisionEngineOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'decisions' });
    this.now = o.now ?? Date.now;
  }

  /** Follow the bucket (bans by other instances and the api included) and start expiring bans. */
  async start(): Promise<void> {
    // the full set first, then the deltas: start() resolves with every active ban known
    const iter = await this.o.kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
    this.watcher = iter;
    for await (const key of await this.o.kv.keys()) {
      const e = await this.o.kv.get(key);
      if (e) this.remember(e.key, e.operation, e.value, e.revision);
    }
    void (async () => {
      for await (const e of iter) this.remember(e.key, e.operation, e.value, e.revision);
    })().catch((err: unknown) => {
      // the watch ends with the connection at shutdown; anything else is worth a line in the log
      if (!this.stopped) this.log.warn('bans bucket watch ended', { error: err });
    });
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.log.warn('ban expiry sweep failed', { error: err }));
    }, this.o.sweepMs ?? 1000);
    this.timer.unref();
  }

  private remember(key: string, op: string, value: Uint8Array, revision: number): void {
    if (op !== 'PUT') {
      this.active.delete(key);
      return;
    }
    const v = validateBanDecision(safeJson(value));
    const known = this.active.get(key);
    if (v.ok && (!known || known.revision < revision)) this.active.set(key, { decision: v.value, revision });
  }

  /** Whether the identity has a ban in the bucket that has not expired. */
  isBanned(scope: IdentityScope, value: string): boolean {
    return this.bannedUntil(scope, value) > this.now();
  }

  /** Expiry of the identity's ban in the bucket, ms; 0 when there is none. */
  bannedUntil(scope: IdentityScope, value: string): number {
    return this.active.get(banKey(scope, value))?.decision.until ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.watcher?.stop();
  }

  isAllowlisted(scope: IdentityScope, value: string): boolean {
    return this.o.allowlist.has(scope, value);
  }

  /** Ban an identity; throws AllowlistedError for an allowlisted one. */
  async ban(req: BanRequest): Promise<BanDecisionV1> {
    if (this.o.allowlist.has(req.scope, req.value)) {
      this.o.metrics?.banSkipped.inc({ why: 'allowlisted' });
      throw new AllowlistedError(req.scope, req.value);
    }
    const key = banKey(req.scope, req.value);
    const offense = (await this.priorOffenses(req.scope, req.value)) + 1;
    const policy = { ...this.o.policy, ...definedOnly(req.policy ?? {}) };
    const durationS = req.durationS ?? banDurationS(policy, offense, this.o.random);
    const ts = this.now();
    const id =
      req.incidentId && req.idTs !== undefined
        ? stableUlid(req.idTs, `${req.incidentId}|ban|${offense}`)
        : ulid(ts);
    const decision: BanDecisionV1 = {
      v: 1,
      id,
      ts,
      action: 'ban',
      scope: req.scope,
      value: req.value,
      durationS,
      until: ts + durationS * 1000,
      origin: req.origin,
      reason: req.reason,
      offense,
      ...(req.incidentId ? { incidentId: req.incidentId } : {}),
      ...(req.actor ? { actor: req.actor } : {}),
    };
    await this.put(key, decision);
    this.offenses.set(key, offense);
    this.own.add(id);
    this.o.publisher.publishRecord(`${SUBJECTS.decisions}.ban`, decision);
    this.o.metrics?.decisions.inc({ action: 'ban', origin: req.origin });
    this.log.info('ban', { scope: req.scope, value: req.value, durationS, offense, reason: req.reason });
    return decision;
  }

  /** Lift a ban; resolves undefined when the identity was not banned. */
  async unban(req: UnbanRequest): Promise<BanDecisionV1 | undefined> {
    const key = banKey(req.scope, req.value);
    const entry = await this.o.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    await this.o.kv.delete(key);
    this.active.delete(key);
    return this.publishUnban(req.scope, req.value, req.reason, req.origin, ulid(this.now()), req.actor);
  }

  /** A decision seen on SENTINEL_DECISIONS: keeps offense counts right for bans taken elsewhere. */
  noteDecision(d: BanDecisionV1): void {
    if (d.action !== 'ban' || this.own.has(d.id)) return;
    const key = banKey(d.scope, d.value);
    const known = this.offenses.get(key);
    if (known !== undefined) this.offenses.set(key, Math.max(known + 1, d.offense ?? 0));
  }

  activeBans(): BanDecisionV1[] {
    return [...this.active.values()].map((a) => a.decision);
  }

  private async put(key: string, decision: BanDecisionV1): Promise<void> {
    try {
      const revision = await this.o.kv.put(key, JSON.stringify(decision));
      this.active.set(key, { decision, revision });
    } catch (err) {
      throw new AnalyticsError(
        AnalyticsErrorCode.Decision,
        `could not write the ban into KV ${BANS_BUCKET}`,
        {
          cause: err,
          context: { key },
        },
      );
    }
  }

  private async priorOffenses(scope: IdentityScope, value: string): Promise<number> {
    const key = banKey(scope, value);
    const known = this.offenses.get(key);
    if (known !== undefined) return known;
    if (!this.o.store) return 0;
    const rows = await this.o.store.query<{ n: string | number }>(
      `SELECT uniqExact(id) AS n FROM decisions_v1
       WHERE scope = {scope:String} AND value = {value:String} AND action = 'ban'
         AND ts >= now64(3) - toIntervalDay({days:UInt32})`,
      { scope, value, days: this.o.offenseLookbackDays ?? 30 },
    );
    const n = Number(rows[0]?.n ?? 0);
    this.offenses.set(key, n);
    return n;
  }

  private publishUnban(
    scope: IdentityScope,
    value: string,
    reason: string,
    origin: DecisionOrigin,
    id: string,
    actor?: string,
  ): BanDecisionV1 {
    const decision: BanDecisionV1 = {
      v: 1,
      id,
      ts: this.now(),
      action: 'unban',
      scope,
      value,
      durationS: 0,
      until: 0,
      origin,
      reason,
      ...(actor ? { actor } : {}),
    };
    this.o.publisher.publishRecord(`${SUBJECTS.decisions}.unban`, decision);
    this.o.metrics?.decisions.inc({ action: 'unban', origin });
    this.log.info('unban', { scope, value, reason });
    return decision;
  }

  /** Delete expired entries, each only if nobody replaced it since we saw it. */
  private async sweep(): Promise<void> {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    try {
      const now = this.now();
      for (const [key, a] of [...this.active]) {
        if (this.stopped) return;
        if (a.decision.until === 0 || a.decision.until > now) continue;
        try {
          await this.o.kv.delete(key, { previousSeq: a.revision });
        } catch {
          continue; // replaced (re-banned) or already deleted by another instance
        }
        this.active.delete(key);
        this.publishUnban(
          a.decision.scope,
          a.decision.value,
          'ban.expired',
          a.decision.origin,
          stableUlid(a.decision.until, `${a.decision.id}|expired`),
        );
      }
    } finally {
      this.sweeping = false;
    }
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
