// The live sessions of one process: one sweeper timer for all of them (connect timeouts, keep-alive,
// publish summaries) instead of timers per connection, and the ban listener that closes covered sessions.
import type { ActiveBan, PenaltyBox } from '../policy/types.ts';
import type { SessionContext } from './context.ts';
import type { Pipeline } from './pipeline.ts';

export interface LiveSession extends SessionContext {
  /** Called by the sweeper; closes the session when a deadline has passed. */
  tick?(now: number): void;
  /** True once CONNECT passed and the identity is bound. */
  readonly established: boolean;
}

export interface RegistryOptions {
  pipeline: Pipeline;
  /** Sweeper period, ms. */
  tickMs: number;
  /** publish.summary interval, ms. */
  summaryIntervalMs: number;
}

export class SessionRegistry {
  private readonly live = new Set<LiveSession>();
  private readonly timer: NodeJS.Timeout;
  private lastSummary = Date.now();

  constructor(private readonly opts: RegistryOptions) {
    this.timer = setInterval(() => this.sweep(), opts.tickMs);
    this.timer.unref();
  }

  get size(): number {
    return this.live.size;
  }

  add(s: LiveSession): void {
    this.live.add(s);
  }

  delete(s: LiveSession): void {
    this.live.delete(s);
  }

  /** Follow bans: every live session a new ban covers is closed at once. */
  watchBans(box: PenaltyBox): void {
    box.onBan((ban) => this.enforceBan(box, ban));
  }

  enforceBan(box: PenaltyBox, ban: ActiveBan): number {
    const now = Date.now();
    let closed = 0;
    for (const s of [...this.live]) {
      if (!s.established || !mightCover(ban, s)) continue;
      const id = {
        ip: s.peer.ip,
        clientId: s.clientId,
        username: s.username,
        certFingerprint: s.peer.certFingerprint,
      };
      const hit = box.check(id, now);
      if (hit === undefined) continue;
      this.opts.pipeline.emit(s, {
        reason: 'penalty.session_closed',
        rule: {
          id: hit.decisionId,
          values: { scope: hit.scope, value: hit.value, until: hit.until, ban: hit.reason },
        },
      });
      s.close('penalty.session_closed', 'banned');
      closed++;
    }
    return closed;
  }

  sweep(now = Date.now()): void {
    const summarize = now - this.lastSummary >= this.opts.summaryIntervalMs;
    if (summarize) this.lastSummary = now;
    for (const s of this.live) {
      s.tick?.(now);
      if (summarize && s.established) this.opts.pipeline.summarize(s, now);
    }
  }

  /** Close every session (shutdown). */
  closeAll(): void {
    for (const s of [...this.live]) s.close('disconnect.server_shutdown');
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** Cheap pre-filter on the ban's own scope; the penalty box's check() decides (ranges, allowlist). */
function mightCover(ban: ActiveBan, s: LiveSession): boolean {
  switch (ban.scope) {
    case 'ip':
      return s.peer.ip === ban.value;
    case 'client_id':
      return s.clientId === ban.value;
    case 'username':
      return s.username === ban.value;
    case 'cert_fingerprint':
      return s.peer.certFingerprint === ban.value;
    default:
      return true;
  }
}
