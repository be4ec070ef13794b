// Tampering and replay on signed topics. A message on a signed topic carries a key id, a timestamp, a
// nonce and a signature over `topic \n ts \n nonce \n payload`: MQTT 5 in user properties
// (sentinel-kid, sentinel-ts, sentinel-nonce, sentinel-sig), 3.1.1 in a JSON envelope
// {"kid","ts","nonce","sig","payload": base64}. A missing or bad signature is tampering
// (threat.bad_signature); a nonce or signature seen again within the window, or a timestamp outside
// it, is a replay (threat.replay). Nonce memory is bounded; see NonceMemory.
import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { REASONS, reasonInfo } from '@sentinel/ingest';
import type { ReasonCode } from '@sentinel/ingest';
import { BoundedMap } from '../bounded.ts';
import type { InspectionConfig, SignedTopicConfig } from '../config.ts';
import { safeDisplayString } from '../display.ts';
import { InspectionError, InspectionErrorCode } from '../errors.ts';
import { topicMatches } from '../topic.ts';
import type { Finding, PublishFacts } from '../types.ts';
import { finding } from '../types.ts';

export const SIGNATURE_PROPERTIES = {
  kid: 'sentinel-kid',
  ts: 'sentinel-ts',
  nonce: 'sentinel-nonce',
  sig: 'sentinel-sig',
} as const;

export interface SignedFields {
  kid: string;
  ts: number;
  nonce: string;
  sig: Buffer;
  payload: Uint8Array;
}

/** The bytes a signature covers. */
export function signedData(topic: string, ts: number, nonce: string, payload: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${topic}\n${ts}\n${nonce}\n`, 'utf8'), payload]);
}

/**
 * Seen nonces, bounded. When full, the oldest is forgotten and the horizon moves up to its timestamp:
 * messages at or before the horizon are refused, because a replay of them could no longer be recognised.
 * The effective window shrinks under pressure; it never opens.
 */
export class NonceMemory {
  private readonly seen: BoundedMap<string, number>;
  horizon = 0;

  constructor(maxEntries: number) {
    this.seen = new BoundedMap(maxEntries);
  }

  get size(): number {
    return this.seen.size;
  }

  /** 'fresh' (and remembered), 'seen', or 'too_old' (before the horizon or the window). */
  remember(keys: readonly string[], ts: number, now: number, windowMs: number): 'fresh' | 'seen' | 'too_old' {
    this.expire(now - windowMs);
    if (ts <= this.horizon || ts < now - windowMs) return 'too_old';
    for (const k of keys) if (this.seen.peek(k) !== undefined) return 'seen';
    for (const k of keys) {
      if (this.seen.size >= this.seen.maxEntries) {
        const oldest = this.seen.oldest();
        if (oldest) this.horizon = Math.max(this.horizon, oldest[1]);
      }
      this.seen.set(k, ts);
    }
    return 'fresh';
  }

  private expire(before: number): void {
    for (let e = this.seen.oldest(); e !== undefined && e[1] < before; e = this.seen.oldest())
      this.seen.delete(e[0]);
  }
}

interface PreparedTopic {
  cfg: SignedTopicConfig;
  hmac: Map<string, Buffer>;
  ed25519: Map<string, KeyObject>;
}

function decodeSecret(s: string): Buffer {
  if (s.startsWith('base64:')) return Buffer.from(s.slice(7), 'base64');
  if (s.startsWith('hex:')) return Buffer.from(s.slice(4), 'hex');
  return Buffer.from(s, 'utf8');
}

function prop(props: Record<string, string | string[]> | undefined, key: string): string | undefined {
  const v = props?.[key];
  return Array.isArray(v) ? v[0] : v;
}

/** The signature fields from user properties (MQTT 5) or from a JSON envelope (3.1.1). */
export function extractSigned(msg: PublishFacts): SignedFields | undefined {
  const p = msg.userProperties;
  const sig = prop(p, SIGNATURE_PROPERTIES.sig);
  if (sig !== undefined) {
    const ts = Number(prop(p, SIGNATURE_PROPERTIES.ts));
    return {
      kid: prop(p, SIGNATURE_PROPERTIES.kid) ?? '',
      ts,
      nonce: prop(p, SIGNATURE_PROPERTIES.nonce) ?? '',
      sig: Buffer.from(sig, 'base64'),
      payload: msg.payload,
    };
  }
  if (msg.payload[0] !== 0x7b) return undefined;
  try {
    const env = JSON.parse(
      Buffer.from(msg.payload.buffer, msg.payload.byteOffset, msg.payload.length).toString('utf8'),
    ) as Record<string, unknown>;
    if (typeof env.sig !== 'string' || typeof env.payload !== 'string') return undefined;
    return {
      kid: typeof env.kid === 'string' ? env.kid : '',
      ts: typeof env.ts === 'number' ? env.ts : Number.NaN,
      nonce: typeof env.nonce === 'string' ? env.nonce : '',
      sig: Buffer.from(env.sig, 'base64'),
      payload: Buffer.from(env.payload, 'base64'),
    };
  } catch {
    return undefined;
  }
}

export class SignedTopicVerifier {
  private readonly topics: PreparedTopic[];
  private readonly nonces: NonceMemory;

  constructor(cfg: InspectionConfig) {
    this.nonces = new NonceMemory(cfg.maxNonces);
    this.topics = cfg.signedTopics.map((t, i) => {
      const hmac = new Map<string, Buffer>();
      const ed25519 = new Map<string, KeyObject>();
      for (const [kid, key] of Object.entries(t.keys)) {
        if (t.algorithm === 'hmac-sha256') hmac.set(kid, decodeSecret(key));
        else {
          try {
            ed25519.set(kid, createPublicKey(key));
          } catch (err) {
            throw new InspectionError(
              InspectionErrorCode.Config,
              `signedTopics[${i}].keys.${kid}: not an Ed25519 public key in PEM`,
              { cause: err, context: { key: `signedTopics[${i}].keys.${kid}` } },
            );
          }
        }
      }
      return { cfg: t, hmac, ed25519 };
    });
  }

  get nonceCount(): number {
    return this.nonces.size;
  }

  check(msg: PublishFacts, now: number): Finding | undefined {
    if (this.topics.length === 0) return undefined;
    const t = this.topics.find((x) => topicMatches(x.cfg.filter, msg.topic));
    if (!t) return undefined;
    const f = extractSigned(msg);
    if (!f || f.nonce === '' || !Number.isFinite(f.ts)) return this.bad(msg, t, 'missing', f?.kid);
    if (!this.verify(t, f, msg.topic))
      return this.bad(msg, t, t.hmac.has(f.kid) || t.ed25519.has(f.kid) ? 'mismatch' : 'unknown_key', f.kid);
    const windowMs = t.cfg.windowS * 1000;
    if (f.ts > now + windowMs) return this.replay(msg, f, 'future_timestamp', t);
    const seen = this.nonces.remember(
      [`n:${f.kid}:${f.nonce}`, `s:${f.sig.toString('base64')}`],
      f.ts,
      now,
      windowMs,
    );
    if (seen === 'fresh') return undefined;
    return this.replay(msg, f, seen === 'seen' ? 'nonce_seen' : 'stale_timestamp', t);
  }

  private verify(t: PreparedTopic, f: SignedFields, topic: string): boolean {
    const data = signedData(topic, f.ts, f.nonce, f.payload);
    const secret = t.hmac.get(f.kid);
    if (secret !== undefined) {
      const mac = createHmac('sha256', secret).update(data).digest();
      return mac.length === f.sig.length && timingSafeEqual(mac, f.sig);
    }
    const pub = t.ed25519.get(f.kid);
    if (pub !== undefined) {
      try {
        return verifySignature(null, data, pub, f.sig);
      } catch {
        return false;
      }
    }
    return false;
  }

  private bad(msg: PublishFacts, t: PreparedTopic, why: string, kid: string | undefined): Finding {
    return this.make(
      'threat.bad_signature',
      msg,
      t,
      why,
      { kid: safeDisplayString(kid ?? '', 40) },
      `signature ${why} on signed topic ${safeDisplayString(msg.topic)}: blocked`,
    );
  }

  private replay(msg: PublishFacts, f: SignedFields, why: string, t: PreparedTopic): Finding {
    return this.make(
      'threat.replay',
      msg,
      t,
      why,
      { kid: safeDisplayString(f.kid, 40), nonce: safeDisplayString(f.nonce, 64), ts: f.ts },
      `replay on ${safeDisplayString(msg.topic)} (${why}): blocked`,
    );
  }

  private make(
    reason: ReasonCode,
    msg: PublishFacts,
    t: PreparedTopic,
    why: string,
    values: Record<string, string | number>,
    message: string,
  ): Finding {
    return finding(
      reason,
      'deny',
      'block',
      REASONS[reason].severity,
      {
        id: `${reason}.${why}`,
        name: reason === 'threat.replay' ? 'Replayed signed message' : 'Bad or missing signature',
        technique: reasonInfo(reason)?.technique ?? 'T0856',
        matched: safeDisplayString(msg.topic),
        values: { ...values, why, filter: t.cfg.filter, algorithm: t.cfg.algorithm, windowS: t.cfg.windowS },
      },
      message,
    );
  }
}
