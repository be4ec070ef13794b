// The auth result cache. Keys are an HMAC over every identity field (client id, username, password, IP,
// certificate fingerprint) with a key made fresh for each process: one principal can never be served
// another's result, and the password exists in the cache only inside a keyed hash that is useless outside
// this process. Size is bounded; the oldest entry goes first.
import { createHmac, randomBytes } from 'node:crypto';
import type { AclRuleSet, ConnectIdentity } from './types.ts';
import type { ReasonCode } from '@sentinel/ingest';

export interface CachedAuth {
  allow: boolean;
  reason: ReasonCode;
  acl?: AclRuleSet;
  expiresAt?: number;
  /** When this entry stops being served, ms since epoch. */
  staleAt: number;
}

const ABSENT = Buffer.from([0xff]);

export class AuthCache {
  private readonly key = randomBytes(32);
  private readonly map = new Map<string, CachedAuth>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.map.size;
  }

  /** Length-prefixed fields so that ("ab","c") and ("a","bc") never collide; absent differs from empty. */
  keyOf(id: ConnectIdentity): string {
    const h = createHmac('sha256', this.key);
    const field = (v: string | Buffer | undefined): void => {
      if (v === undefined) {
        h.update(ABSENT);
        return;
      }
      const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
      const len = Buffer.allocUnsafe(4);
      len.writeUInt32BE(b.length);
      h.update(len);
      h.update(b);
    };
    field(id.clientId);
    field(id.username);
    field(id.password);
    field(id.ip);
    field(id.certFingerprint);
    return h.digest('base64');
  }

  get(key: string, now: number): CachedAuth | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.staleAt > now) return e;
    this.map.delete(key);
    return undefined;
  }

  set(key: string, entry: CachedAuth): void {
    this.map.delete(key);
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, entry);
  }

  clear(): void {
    this.map.clear();
  }
}
