// API tokens: `snt_` + 43 base64url characters (256 random bits). Only a SHA-256 hash of each token is
// stored, in a NATS KV bucket that every api instance watches, so a token created or revoked on one is
// known to all at once. A plain fast hash is enough here (no salt, no scrypt): the token is 256 bits of
// randomness, so there is no dictionary to try and a preimage search over 2^256 is out of reach; slow
// password hashing protects low-entropy human secrets and would only cost time on every request.
import { createHash, randomBytes } from 'node:crypto';
import { Kvm, KvWatchInclude } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { ulid } from '@sentinel/ingest';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.ts';
import { ROLES } from './roles.ts';
import type { Role } from './roles.ts';

export const TOKEN_PREFIX = 'snt_';
const TOKEN_RE = /^snt_[A-Za-z0-9_-]{43}$/;

export const tokenRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  createdAt: z.number(),
  createdBy: z.string(),
});
export type TokenRecord = z.output<typeof tokenRecordSchema>;

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function looksLikeToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

export class TokenStore {
  /** hash -> record, kept in step with the bucket by a watch. */
  private readonly byHash = new Map<string, TokenRecord>();
  private watcher: { stop(): void } | undefined;

  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, bucket: string, replicas = 1): Promise<TokenStore> {
    const kv = await new Kvm(nc).create(bucket, {
      history: 1,
      replicas,
      description: 'Sentinel API tokens: key = SHA-256 of the token, value = name, role, creation.',
    });
    const store = new TokenStore(kv);
    await store.start();
    return store;
  }

  private async start(): Promise<void> {
    const iter = await this.kv.watch({ key: '>', include: KvWatchInclude.UpdatesOnly });
    this.watcher = iter;
    for await (const key of await this.kv.keys()) {
      const e = await this.kv.get(key);
      if (e) this.remember(e.key, e.operation, e.value);
    }
    void (async () => {
      for await (const e of iter) this.remember(e.key, e.operation, e.value);
    })();
  }

  private remember(key: string, op: string, value: Uint8Array): void {
    if (op !== 'PUT') {
      this.byHash.delete(key);
      return;
    }
    const parsed = tokenRecordSchema.safeParse(safeJson(value));
    if (parsed.success) this.byHash.set(key, parsed.data);
  }

  /** The record of a presented token, or undefined. */
  verify(token: string): TokenRecord | undefined {
    if (!looksLikeToken(token)) return undefined;
    return this.byHash.get(hashToken(token));
  }

  list(): TokenRecord[] {
    return [...this.byHash.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  hasRole(role: Role): boolean {
    return this.list().some((t) => t.role === role);
  }

  /** Create a token; the plain token is returned here and nowhere else. */
  async create(name: string, role: Role, createdBy: string): Promise<{ token: string; record: TokenRecord }> {
    if (this.list().some((t) => t.name === name)) {
      throw new ConflictError(`a token named ${JSON.stringify(name)} exists; revoke it first`, { name });
    }
    const token = newToken();
    const record: TokenRecord = { id: ulid(), name, role, createdAt: Date.now(), createdBy };
    const key = hashToken(token);
    await this.kv.create(key, JSON.stringify(record));
    this.byHash.set(key, record);
    return { token, record };
  }

  async revoke(id: string): Promise<TokenRecord> {
    for (const [key, rec] of this.byHash) {
      if (rec.id !== id) continue;
      await this.kv.delete(key);
      this.byHash.delete(key);
      return rec;
    }
    throw new NotFoundError(`token ${id}`);
  }

  stop(): void {
    this.watcher?.stop();
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
