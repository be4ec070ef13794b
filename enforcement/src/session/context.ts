// What the node knows about one connection. Built once when the connection opens and filled in when the
// CONNECT passes; events reuse its subject object instead of building one per decision.
import type { EventSubject, ReasonCode } from '@sentinel/ingest';
import type { ConnectIdentity, SessionAcl } from '../policy/types.ts';
import type { MqttVersion } from '../protocol/packets.ts';

export type Transport = ConnectIdentity['transport'];

/** Facts the transport knows before any MQTT byte: address, listener, client certificate. */
export interface PeerInfo {
  ip: string;
  port: number;
  transport: Transport;
  certFingerprint?: string;
  certSubject?: string;
  certCommonName?: string;
}

export interface SessionContext {
  /** Unique per node and process. */
  readonly sessionId: string;
  readonly peer: PeerInfo;
  /** Filled in by CONNECT. */
  version: MqttVersion;
  clientId: string;
  username: string | undefined;
  subject: EventSubject;
  acl: SessionAcl | undefined;
  /** Allowed PUBLISH traffic since the last summary. */
  pubMessages: number;
  pubBytes: number;
  pubSince: number;
  /** Registered as open with inspection (sessionOpened passed); released by sessionEnded. */
  opened?: boolean;
  /** Close the connection for `reason` (the 5.0 DISCONNECT code follows from it). */
  close(reason: ReasonCode, detail?: string): void;
}

let seq = 0;
const prefix = `${process.pid.toString(36)}-${Date.now().toString(36)}-`;

export function newSessionId(): string {
  seq = (seq + 1) % Number.MAX_SAFE_INTEGER;
  return prefix + seq.toString(36);
}

export function peerSubject(peer: PeerInfo, sessionId: string): EventSubject {
  const s: EventSubject = { ip: peer.ip, port: peer.port, sessionId, transport: peer.transport };
  if (peer.certFingerprint !== undefined) s.certFingerprint = peer.certFingerprint;
  if (peer.certSubject !== undefined) s.certSubject = peer.certSubject;
  return s;
}
