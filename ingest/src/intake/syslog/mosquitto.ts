// Mosquitto's own log lines (2.0.11 as Debian ships it, and the forms later 2.0 releases add; as mosquitto writes them with `log_dest syslog`, or to a file
// with a `1700000000: ` time prefix) mapped onto decision events. Mosquitto logs a refused CONNECT in
// two lines — `Sending CONNACK to <ip> (0, 5)` (debug) then `Client <unknown> disconnected, not
// authorised.` — and a disconnect without the address, so the mapper keeps a little bounded state per
// broker to join them; without debug logging the refusal still maps, only without the address.
import { isIP } from 'node:net';
import { makeEvent } from '../../contract/make.ts';
import type { ReasonCode } from '../../contract/reasons.ts';
import { REASONS } from '../../contract/reasons.ts';
import type {
  DecisionEventV1,
  EventMqtt,
  EventSubject,
  ProtocolVersion,
  RuleValue,
} from '../../contract/v1.ts';

export interface MapContext {
  /** The node name events carry (already prefixed, e.g. `syslog:broker-1`). */
  node: string;
  ts: number;
}

/** An event, 'ignored' (a line Mosquitto writes that carries no security fact), or undefined (unknown). */
export type MapResult = DecisionEventV1 | 'ignored' | undefined;

interface Peer {
  ip: string;
  port?: number;
  username?: string;
}

const MAX_TRACKED = 10_000;
const UNKNOWN_ID = '<unknown>';

/** Mosquitto's protocol tag `p2` → the MQTT protocol level in the CONNECT packet. */
const PROTOCOL: Record<string, ProtocolVersion> = { p1: 3, p2: 4, p5: 5 };

/** CONNACK codes Mosquitto refuses credentials with: v3.1.1 4 and 5 [MQTT-3.2.2.3], v5 0x86 and 0x87. */
const AUTH_REFUSALS = new Set([4, 5, 134, 135]);

const NOISE =
  /^(?:Received |Sending (?:PUB|SUB|UNSUB|PING)|No will message|mosquitto version|Config loaded|Opening ipv|Saving in-memory|Sending CONNACK to \S+ \(\d+, 0\)|Will message specified|Bridge |Outgoing messages)/;

function setBounded<K, V>(m: Map<K, V>, k: K, v: V): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > MAX_TRACKED) m.delete(m.keys().next().value as K);
}

/** Control characters (C0 and DEL) as spaces. */
function oneLine(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    out += c < 0x20 || c === 0x7f ? ' ' : ch;
  }
  return out;
}

function splitAddress(s: string): { ip: string; port: number } | undefined {
  const colon = s.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const ip = s.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(s.slice(colon + 1));
  return isIP(ip) && Number.isInteger(port) && port >= 0 && port <= 65535 ? { ip, port } : undefined;
}

/** Per-broker state: who connected from where, and the last refused CONNACK. */
export class MosquittoMapper {
  private readonly lastPortByIp = new Map<string, number>();
  private readonly peerByClient = new Map<string, Peer>();
  private pendingRefusal: { ip?: string; clientId?: string; code: number } | undefined;

  map(line: string, ctx: MapContext): MapResult {
    const text = line.replace(/^\d{9,}: /, '').trim();
    if (NOISE.test(text)) return 'ignored';
    return (
      this.newConnection(text, ctx) ??
      this.clientConnected(text, ctx) ??
      this.connackRefused(text) ??
      this.notAuthorised(text, ctx) ??
      this.clientLine(text, ctx) ??
      this.deniedPublish(text, ctx)
    );
  }

  private event(
    reason: ReasonCode,
    ctx: MapContext,
    rule: string,
    subject: EventSubject,
    text: string,
    values?: Record<string, RuleValue>,
    mqtt?: EventMqtt,
  ): DecisionEventV1 {
    const technique = (REASONS[reason] as { technique?: string }).technique;
    return makeEvent({
      node: ctx.node,
      ts: ctx.ts,
      reason,
      subject,
      rule: {
        id: `mosquitto.${rule}`,
        ...(technique ? { technique } : {}),
        values: { source: 'mosquitto', ...values },
      },
      ...(mqtt ? { mqtt } : {}),
      // One line, nothing a terminal or a log viewer would act on, whatever the sender put in the line.
      message: `mosquitto: ${oneLine(text.slice(0, 400))}`,
    });
  }

  private newConnection(text: string, ctx: MapContext): MapResult {
    const m = /^New connection from (\S+) on port (\d+)\.$/.exec(text);
    if (!m) return undefined;
    const addr = splitAddress(m[1] as string);
    if (!addr) return undefined;
    setBounded(this.lastPortByIp, addr.ip, addr.port);
    return this.event(
      'intake.connection_opened',
      ctx,
      'new_connection',
      { ...addr, transport: 'tcp' },
      text,
      {
        listenerPort: Number(m[2]),
      },
    );
  }

  private clientConnected(text: string, ctx: MapContext): MapResult {
    const m = /^New client connected from (\S+) as (.*) \((p\d)((?:, [a-z]\d+)*)(?:, u'(.*)')?\)\.$/.exec(
      text,
    );
    if (!m) return undefined;
    const addr = splitAddress(m[1] as string);
    if (!addr) return undefined;
    const clientId = m[2] as string;
    const username = m[5];
    const version = PROTOCOL[m[3] as string];
    setBounded(this.peerByClient, clientId, { ...addr, ...(username !== undefined ? { username } : {}) });
    const subject: EventSubject = {
      ...addr,
      clientId,
      ...(username !== undefined ? { username } : {}),
      ...(version ? { protocolVersion: version } : {}),
    };
    const keepalive = /k(\d+)/.exec(m[4] ?? '');
    return this.event('connect.accepted', ctx, 'client_connected', subject, text, {
      cleanSession: (m[4] ?? '').includes('c1'),
      ...(keepalive ? { keepalive: Number(keepalive[1]) } : {}),
    });
  }

  private connackRefused(text: string): MapResult {
    const m = /^Sending CONNACK to (\S+) \((\d+), (\d+)\)$/.exec(text);
    if (!m) return undefined;
    const code = Number(m[3]);
    const who = m[1] as string;
    // Refusals other than credentials (bad protocol, server unavailable) surface in the next
    // `disconnected` line; only credential refusals are joined to "not authorised".
    this.pendingRefusal = AUTH_REFUSALS.has(code)
      ? isIP(who)
        ? { ip: who, code }
        : { clientId: who, code }
      : undefined;
    return 'ignored';
  }

  private notAuthorised(text: string, ctx: MapContext): MapResult {
    const m = /^Client (.*) disconnected, (not authori[sz]ed|bad username or password)\.?$/.exec(text);
    if (!m) return undefined;
    const clientId = m[1] as string;
    const refusal = this.pendingRefusal;
    this.pendingRefusal = undefined;
    const subject: EventSubject = {};
    if (clientId !== UNKNOWN_ID) subject.clientId = clientId;
    const ip = refusal?.ip ?? (clientId !== UNKNOWN_ID ? this.peerByClient.get(clientId)?.ip : undefined);
    if (ip) {
      subject.ip = ip;
      const port = this.lastPortByIp.get(ip);
      if (port !== undefined) subject.port = port;
    }
    return this.event('auth.bad_credentials', ctx, 'not_authorised', subject, text, {
      ...(refusal ? { connackCode: refusal.code } : {}),
    });
  }

  /** `Client ID …` lines, fixed texts first; the client id is group 1, an error text group 2. */
  private static readonly CLIENT_LINES: [RegExp, ReasonCode, string][] = [
    [/^Client (.*) disconnected\.$/, 'disconnect.client', 'disconnected'],
    [/^Client (.*) closed its connection\.$/, 'disconnect.socket_closed', 'closed_connection'],
    [/^Socket error on client (.*), disconnecting\.$/, 'disconnect.socket_error', 'socket_error'],
    [
      /^Client (.*) has exceeded timeout, disconnecting\.$/,
      'protocol.keepalive_timeout',
      'keepalive_timeout',
    ],
    [/^Client (.*) disconnected due to protocol error\.$/, 'protocol.malformed', 'protocol_error'],
    [/^Client (.*) disconnected due to malformed packet\.$/, 'protocol.malformed', 'malformed_packet'],
    [
      /^Client (.*) disconnected due to oversize (?:packet|payload)\.$/,
      'protocol.packet_too_large',
      'oversize',
    ],
    [
      /^Client (.*) disconnected due to using not allowed feature \(.*\)\.$/,
      'protocol.malformed',
      'not_allowed_feature',
    ],
    [
      /^Client (.*) been disconnected by administrative action\.$/,
      'disconnect.administrative',
      'administrative',
    ],
    [
      /^Client (.*) already connected, closing old connection\.$/,
      'disconnect.session_taken_over',
      'taken_over',
    ],
    // Since 2.0.12 a socket error reads `Client ID disconnected: <strerror>.`; last, so fixed texts win.
    [/^Client (.*) disconnected: (.+)\.$/, 'disconnect.socket_error', 'socket_error'],
  ];

  private clientLine(text: string, ctx: MapContext): MapResult {
    for (const [re, reason, rule] of MosquittoMapper.CLIENT_LINES) {
      const m = re.exec(text);
      if (!m) continue;
      const clientId = m[1] as string;
      const subject = this.subjectOf(clientId);
      if (reason !== 'disconnect.session_taken_over' && clientId !== UNKNOWN_ID)
        this.peerByClient.delete(clientId);
      const values = m[2] !== undefined ? { error: m[2].slice(0, 200) } : undefined;
      return this.event(reason, ctx, rule, subject, text, values);
    }
    return undefined;
  }

  private deniedPublish(text: string, ctx: MapContext): MapResult {
    const m =
      /^Denied PUBLISH from (.*) \(d(\d), q(\d), r(\d), m(\d+), '(.*)', \.\.\. \((\d+) bytes\)\)$/.exec(text);
    if (!m) return undefined;
    const qos = Number(m[3]);
    const mqtt: EventMqtt = {
      packetType: 'publish',
      topic: m[6] as string,
      ...(qos <= 2 ? { qos: qos as 0 | 1 | 2 } : {}),
      retain: m[4] === '1',
      dup: m[2] === '1',
      payloadSize: Number(m[7]),
    };
    return this.event(
      'acl.publish_denied',
      ctx,
      'denied_publish',
      this.subjectOf(m[1] as string),
      text,
      {},
      mqtt,
    );
  }

  private subjectOf(clientId: string): EventSubject {
    if (clientId === UNKNOWN_ID) return {};
    const peer = this.peerByClient.get(clientId);
    return {
      clientId,
      ...(peer ? { ip: peer.ip, ...(peer.port !== undefined ? { port: peer.port } : {}) } : {}),
      ...(peer?.username !== undefined ? { username: peer.username } : {}),
    };
  }
}
