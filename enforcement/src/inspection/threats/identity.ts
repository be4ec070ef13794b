// Identity spoofing: a client id that is live on this deployment arriving from a second IP or with another
// certificate (a stolen client id), and one certificate live from two IPs at once (a cloned certificate).
// Both need to know which sessions are live: the SessionRegistry. It is answered synchronously from a
// local view (the hot path never awaits I/O a cache can answer); a shared implementation keeps that view
// in step across workers and nodes (see README, "Sharing the session registry").
import { REASONS } from '@sentinel/ingest';
import { safeDisplayString } from '../display.ts';
import type { Finding } from '../types.ts';
import { finding } from '../types.ts';

export interface LiveSession {
  sessionId: string;
  clientId: string;
  ip: string;
  certFingerprint?: string;
  /** The enforcement node (and worker) holding the session. */
  node: string;
  /** ms since epoch. */
  since: number;
}

export type IdentityConflict =
  | { kind: 'stolen_client_id'; holder: LiveSession; differs: 'ip' | 'certificate' }
  | { kind: 'cloned_certificate'; holder: LiveSession };

export interface SessionRegistry {
  /**
   * Register `s` unless it conflicts with a live session; on conflict nothing is registered and the
   * conflict is returned. The same client id from the same IP and certificate is a normal session
   * takeover [MQTT-3.1.4-3]: it replaces the holder.
   */
  claim(s: LiveSession, checks: { clientId: boolean; certificate: boolean }): IdentityConflict | undefined;
  release(sessionId: string): void;
  /** Live sessions held. */
  size(): number;
}

/** The registry of one process. Bounded by the live sessions themselves (each has a socket). */
export class LocalSessionRegistry implements SessionRegistry {
  private readonly bySession = new Map<string, LiveSession>();
  private readonly byClientId = new Map<string, LiveSession>();
  private readonly byCert = new Map<string, Set<LiveSession>>();

  claim(s: LiveSession, checks: { clientId: boolean; certificate: boolean }): IdentityConflict | undefined {
    const holder = this.byClientId.get(s.clientId);
    if (checks.clientId && holder !== undefined && holder.sessionId !== s.sessionId) {
      if (holder.ip !== s.ip) return { kind: 'stolen_client_id', holder, differs: 'ip' };
      if ((holder.certFingerprint ?? '') !== (s.certFingerprint ?? ''))
        return { kind: 'stolen_client_id', holder, differs: 'certificate' };
    }
    if (checks.certificate && s.certFingerprint !== undefined) {
      for (const other of this.byCert.get(s.certFingerprint) ?? []) {
        if (other.ip !== s.ip && other.sessionId !== s.sessionId && other.clientId !== s.clientId)
          return { kind: 'cloned_certificate', holder: other };
        if (other.ip !== s.ip && other.clientId === s.clientId && !checks.clientId)
          return { kind: 'cloned_certificate', holder: other };
      }
    }
    this.apply(s);
    return undefined;
  }

  /**
   * Record a session without checks: a claim that passed them here, or one another worker's registry
   * passed. A session with the same client id replaces its holder (a takeover).
   */
  apply(s: LiveSession): void {
    const holder = this.byClientId.get(s.clientId);
    if (holder !== undefined && holder.sessionId !== s.sessionId) this.release(holder.sessionId);
    this.release(s.sessionId);
    this.bySession.set(s.sessionId, s);
    this.byClientId.set(s.clientId, s);
    if (s.certFingerprint !== undefined) {
      let set = this.byCert.get(s.certFingerprint);
      if (!set) this.byCert.set(s.certFingerprint, (set = new Set()));
      set.add(s);
    }
  }

  /** The live session holding `clientId`, if any. */
  holderOf(clientId: string): LiveSession | undefined {
    return this.byClientId.get(clientId);
  }

  release(sessionId: string): void {
    const s = this.bySession.get(sessionId);
    if (!s) return;
    this.bySession.delete(sessionId);
    if (this.byClientId.get(s.clientId) === s) this.byClientId.delete(s.clientId);
    if (s.certFingerprint !== undefined) {
      const set = this.byCert.get(s.certFingerprint);
      set?.delete(s);
      if (set?.size === 0) this.byCert.delete(s.certFingerprint);
    }
  }

  size(): number {
    return this.bySession.size;
  }
}

const short = (fp: string | undefined): string => (fp === undefined ? 'none' : fp.slice(0, 16));

/** The finding for a conflict. Values name the other session's IP and node, never a secret. */
export function conflictFinding(s: LiveSession, c: IdentityConflict): Finding {
  if (c.kind === 'stolen_client_id') {
    return finding(
      'threat.stolen_client_id',
      'deny',
      'block',
      REASONS['threat.stolen_client_id'].severity,
      {
        id: `threat.stolen_client_id.${c.differs}`,
        name: 'Client id already connected from elsewhere',
        technique: 'T0859',
        matched: safeDisplayString(s.clientId),
        values: {
          liveIp: c.holder.ip,
          newIp: s.ip,
          liveCert: short(c.holder.certFingerprint),
          newCert: short(s.certFingerprint),
          liveNode: c.holder.node,
        },
      },
      `client id ${safeDisplayString(s.clientId)} is connected from ${c.holder.ip}; refused from ${s.ip} (different ${c.differs})`,
    );
  }
  return finding(
    'threat.cloned_certificate',
    'deny',
    'block',
    REASONS['threat.cloned_certificate'].severity,
    {
      id: 'threat.cloned_certificate',
      name: 'Certificate in use from another IP',
      technique: 'T1078',
      matched: short(s.certFingerprint),
      values: {
        liveIp: c.holder.ip,
        newIp: s.ip,
        liveClientId: safeDisplayString(c.holder.clientId),
        liveNode: c.holder.node,
      },
    },
    `certificate ${short(s.certFingerprint)}… is in use from ${c.holder.ip}; refused from ${s.ip}`,
  );
}
