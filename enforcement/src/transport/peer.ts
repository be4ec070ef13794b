// What the transport knows about a device before its first MQTT byte.
import type { Socket } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { PeerInfo, Transport } from '../session/context.ts';

/** IPv4-mapped IPv6 addresses are reported as IPv4 so that per-IP limits and bans see one address. */
export function normalizeIp(addr: string | undefined): string {
  if (!addr) return '0.0.0.0';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

export function socketPeer(s: Socket, transport: Transport): PeerInfo {
  return { ip: normalizeIp(s.remoteAddress), port: s.remotePort ?? 0, transport };
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function subjectText(c: PeerCertificate): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(c.subject ?? {})) {
    for (const x of Array.isArray(v) ? v : [v]) parts.push(`${k}=${String(x)}`);
  }
  return parts.join(',');
}

/** Peer facts of a TLS socket; with a verified client certificate its SHA-256, subject and CN. */
export function tlsPeer(s: TLSSocket, transport: Transport): PeerInfo {
  const peer = socketPeer(s, transport);
  const cert = s.getPeerCertificate();
  if (cert && Object.keys(cert).length > 0 && s.authorized) {
    peer.certFingerprint = cert.fingerprint256.replace(/:/g, '').toLowerCase();
    peer.certSubject = subjectText(cert).slice(0, 512);
    const cn = one(cert.subject?.CN as string | string[] | undefined);
    if (cn !== undefined) peer.certCommonName = cn;
  }
  return peer;
}
