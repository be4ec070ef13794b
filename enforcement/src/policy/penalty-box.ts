// The penalty box: every active ban in memory, looked up by hash (IP, client id, username, certificate)
// or by prefix trie (IP ranges). Fed by ban decisions (BanDecisionV1) from the KV bucket; see
// ban-follower.ts for the I/O. Expired bans are ignored at once and pruned lazily. The allowlist is
// consulted before any ban: an allowlisted IP, range or client id is never banned.
import type { BanDecisionV1, IdentityScope } from '@sentinel/ingest';
import { canonicalIp, parseCidr, parseIp, PrefixTrie } from './ip.ts';
import type { ParsedCidr } from './ip.ts';
import { PolicyError, PolicyErrorCode } from './errors.ts';
import type { ActiveBan, PenaltyBox } from './types.ts';

export interface Allowlist {
  /** IPs and CIDR ranges, IPv4 or IPv6. */
  ips?: string[];
  clientIds?: string[];
}

export interface CheckIdentity {
  ip: string;
  clientId?: string;
  username?: string;
  certFingerprint?: string;
}

type HashScope = Exclude<IdentityScope, 'ip_range'>;

/** Certificate fingerprints arrive as "AB:CD:…" or "abcd…": one form for both. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toLowerCase();
}

/** The value a ban is stored under for its scope; undefined for a value that cannot match anything. */
function banValueKey(scope: HashScope, value: string): string | undefined {
  switch (scope) {
    case 'ip':
      return canonicalIp(value);
    case 'cert_fingerprint':
      return normalizeFingerprint(value);
    case 'client_id':
    case 'username':
      return value;
  }
}

/** A ban with until 0 (or below) never expires. */
const expired = (b: ActiveBan, now: number): boolean => b.until > 0 && b.until <= now;

export class MemoryPenaltyBox implements PenaltyBox {
  private readonly hashed: Record<HashScope, Map<string, ActiveBan>> = {
    ip: new Map(),
    client_id: new Map(),
    username: new Map(),
    cert_fingerprint: new Map(),
  };
  private readonly ranges = new PrefixTrie<ActiveBan>();
  private readonly allowRanges = new PrefixTrie<true>();
  private readonly allowClients: Set<string>;
  private readonly listeners: ((ban: ActiveBan) => void)[] = [];

  constructor(allowlist: Allowlist = {}) {
    for (const ip of allowlist.ips ?? []) {
      const c = parseCidr(ip);
      if (!c) {
        throw new PolicyError(
          PolicyErrorCode.InvalidAddress,
          `penalty box allowlist entry ${JSON.stringify(ip)} is not an IP or CIDR`,
          {
            context: { key: 'enforcement.penaltyBox.allowlist.ips', value: ip },
          },
        );
      }
      this.allowRanges.set(c, true);
    }
    this.allowClients = new Set(allowlist.clientIds ?? []);
  }

  onBan(listener: (ban: ActiveBan) => void): void {
    this.listeners.push(listener);
  }

  size(): number {
    const h = this.hashed;
    return this.ranges.size + h.ip.size + h.client_id.size + h.username.size + h.cert_fingerprint.size;
  }

  /** Whether the allowlist exempts this identity. */
  isAllowlisted(id: CheckIdentity): boolean {
    if (id.clientId !== undefined && this.allowClients.has(id.clientId)) return true;
    if (this.allowRanges.size === 0) return false;
    const ip = parseIp(id.ip);
    return ip !== undefined && this.allowRanges.find(ip, () => true) !== undefined;
  }

  check(id: CheckIdentity, now: number): ActiveBan | undefined {
    if (this.size() === 0 || this.isAllowlisted(id)) return undefined;
    const h = this.hashed;
    return (
      (id.clientId !== undefined ? this.live(h.client_id, id.clientId, now) : undefined) ??
      (id.username !== undefined ? this.live(h.username, id.username, now) : undefined) ??
      (id.certFingerprint !== undefined
        ? this.live(h.cert_fingerprint, normalizeFingerprint(id.certFingerprint), now)
        : undefined) ??
      this.checkIp(id.ip, now)
    );
  }

  private checkIp(raw: string, now: number): ActiveBan | undefined {
    if (this.hashed.ip.size === 0 && this.ranges.size === 0) return undefined;
    const key = canonicalIp(raw);
    if (key === undefined) return undefined;
    const exact = this.live(this.hashed.ip, key, now);
    if (exact || this.ranges.size === 0) return exact;
    const ip = parseIp(raw) as NonNullable<ReturnType<typeof parseIp>>;
    return this.ranges.find(ip, (b) => !expired(b, now));
  }

  /** The ban under `key` if still active; an expired one is removed on the way. */
  private live(m: Map<string, ActiveBan>, key: string, now: number): ActiveBan | undefined {
    const b = m.get(key);
    if (b === undefined) return undefined;
    if (!expired(b, now)) return b;
    m.delete(key);
    return undefined;
  }

  /**
   * Apply one decision: a ban is stored (replacing an older one on the same scope and value) and announced;
   * an unban lifts it. Returns the stored ban, or undefined when nothing new is in force.
   */
  apply(d: BanDecisionV1, now: number): ActiveBan | undefined {
    if (d.action === 'unban') {
      this.remove(d.scope, d.value);
      return undefined;
    }
    const ban: ActiveBan = {
      scope: d.scope,
      value: d.value,
      until: d.until,
      reason: d.reason,
      decisionId: d.id,
    };
    if (expired(ban, now) || !this.store(ban)) return undefined;
    if (!this.exempt(ban)) for (const l of this.listeners) l(ban);
    return ban;
  }

  /** Lift the ban on this scope and value; true if one was held. */
  remove(scope: string, value: string): boolean {
    if (scope === 'ip_range') {
      const c = parseCidr(value);
      return c !== undefined && this.ranges.delete(c);
    }
    if (!(scope in this.hashed)) return false;
    const key = banValueKey(scope as HashScope, value);
    return key !== undefined && this.hashed[scope as HashScope].delete(key);
  }

  /** Drop expired bans; returns how many went. */
  prune(now: number): number {
    let n = 0;
    for (const m of Object.values(this.hashed)) {
      for (const [k, b] of m) if (expired(b, now) && m.delete(k)) n++;
    }
    const stale: ParsedCidr[] = [];
    for (const b of this.ranges.values()) if (expired(b, now)) stale.push(parseCidr(b.value) as ParsedCidr);
    for (const c of stale) if (this.ranges.delete(c)) n++;
    return n;
  }

  private store(ban: ActiveBan): boolean {
    if (ban.scope === 'ip_range') {
      const c = parseCidr(ban.value);
      if (!c) return false;
      this.ranges.set(c, ban);
      return true;
    }
    const key = banValueKey(ban.scope, ban.value);
    if (key === undefined) return false;
    this.hashed[ban.scope].set(key, ban);
    return true;
  }

  /** A ban that names an allowlisted IP or client id exactly is held but never enforced or announced. */
  private exempt(ban: ActiveBan): boolean {
    if (ban.scope === 'client_id') return this.allowClients.has(ban.value);
    if (ban.scope === 'ip') return this.isAllowlisted({ ip: ban.value });
    return false;
  }
}
