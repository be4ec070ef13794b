// The syslog listeners: UDP (one message per datagram) and TCP (RFC 6587 framing, bounded buffers, a
// connection limit and an idle timeout). Sockets live here; parsing and mapping are in framing.ts,
// message.ts and map.ts, which never touch a socket.
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { BlockList, createServer, isIP } from 'node:net';
import type { Server, Socket } from 'node:net';
import { ConfigError, IngestError, IngestErrorCode } from '../../errors.ts';
import type { Logger } from '../../util/log.ts';
import type { IntakeSyslogConfig } from '../config.ts';
import type { IntakeMetrics, IntakeSource } from '../metrics.ts';
import type { IntakeSink } from '../sink.ts';
import { SyslogFramer } from './framing.ts';
import { SyslogMapper } from './map.ts';

export interface SyslogIntakeOptions {
  config: IntakeSyslogConfig;
  sink: IntakeSink;
  metrics: IntakeMetrics;
  log: Logger;
}

export interface SyslogIntake {
  udpPort: number | undefined;
  tcpPort: number | undefined;
  stop(): Promise<void>;
}

/** How often a TCP sender paused for backpressure is looked at again, ms. */
const BUSY_RECHECK_MS = 500;
const INVALID_LOG_INTERVAL_MS = 10_000;

/** The allow list as a BlockList (addresses and CIDR ranges); undefined when every sender is allowed. */
export function allowList(entries: string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  entries.forEach((entry, i) => {
    const [addr = '', bits] = entry.split('/');
    const family = isIP(addr);
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 6 ? 128 : 32;
    if (
      family === 0 ||
      (prefix !== undefined && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max))
    ) {
      throw new ConfigError(
        `config key intake.syslog.allowFrom.${i} has a bad value "${entry}": not an IP address or CIDR range`,
        {
          key: `intake.syslog.allowFrom.${i}`,
          value: entry,
          source: 'config',
          hint: 'use addresses like 10.0.0.5 or ranges like 10.0.0.0/24',
        },
      );
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, prefix, type);
  });
  return list;
}

function allowed(list: BlockList | undefined, address: string): boolean {
  if (!list) return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return list.check(v4, isIP(v4) === 6 ? 'ipv6' : 'ipv4');
}

function listenError(what: string, host: string, port: number, err: unknown): IngestError {
  return new IngestError(
    IngestErrorCode.IntakeListen,
    `syslog ${what} listener could not bind ${host}:${port}: ${(err as Error).message}`,
    {
      cause: err,
      context: { host, port },
    },
  );
}

export async function startSyslogIntake(o: SyslogIntakeOptions): Promise<SyslogIntake> {
  const c = o.config;
  const allow = allowList(c.allowFrom);
  const mapper = new SyslogMapper();
  const log = o.log.child({ component: 'intake-syslog' });

  // An operator must learn why events vanish, but a bad sender must not flood the log: one line per
  // interval, with how many were refused since the last one.
  let lastWarn = 0;
  let suppressed = 0;
  const warnInvalid = (sender: string, problem: string): void => {
    const now = Date.now();
    if (now - lastWarn < INVALID_LOG_INTERVAL_MS) {
      suppressed++;
      return;
    }
    log.warn('syslog event refused: invalid', { sender, problem, refusedSinceLastLine: suppressed });
    lastWarn = now;
    suppressed = 0;
  };

  const handle = (frame: Buffer, sender: string, source: IntakeSource): void => {
    const r = mapper.map(frame, sender);
    if (r.outcome !== 'accepted') {
      o.metrics.received.inc({ source, outcome: r.outcome });
      if (r.outcome === 'invalid') warnInvalid(sender, r.problem);
      return;
    }
    o.metrics.mapped.inc({ mapper: r.mapper, reason: r.event.reason });
    o.sink.publish(r.event, (dropped) =>
      o.metrics.received.inc({ source, outcome: dropped ? 'dropped' : 'accepted' }),
    );
  };

  const udp = c.udpPort > 0 ? await startUdp(o, c, allow, handle) : undefined;
  let tcp: Server | undefined;
  try {
    tcp = c.tcpPort > 0 ? await startTcp(o, c, allow, handle) : undefined;
  } catch (err) {
    udp?.close();
    throw err;
  }
  const udpPort = udp?.address().port;
  const tcpAddr = tcp?.address();
  const tcpPort = tcpAddr && typeof tcpAddr === 'object' ? tcpAddr.port : undefined;
  if (udp || tcp) log.info('syslog intake listening', { host: c.host, udpPort, tcpPort });
  return {
    udpPort,
    tcpPort,
    async stop() {
      udp?.close();
      if (tcp) {
        const server = tcp;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
          for (const s of openSockets.get(server) ?? []) s.destroy();
        });
      }
    },
  };
}

function startUdp(
  o: SyslogIntakeOptions,
  c: IntakeSyslogConfig,
  allow: BlockList | undefined,
  handle: (frame: Buffer, sender: string, source: IntakeSource) => void,
): Promise<UdpSocket> {
  const sock = createSocket({ type: isIP(c.host) === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  sock.on('message', (msg, rinfo) => {
    if (!allowed(allow, rinfo.address) || msg.length > c.maxMessageBytes) {
      o.metrics.received.inc({ source: 'syslog_udp', outcome: 'refused' });
      return;
    }
    handle(msg, rinfo.address, 'syslog_udp');
  });
  return new Promise((resolve, reject) => {
    sock.once('error', (err) => reject(listenError('UDP', c.host, c.udpPort, err)));
    sock.bind(c.udpPort, c.host, () => {
      sock.removeAllListeners('error');
      sock.on('error', (err) => o.log.warn('syslog UDP socket error', { err: err.message }));
      resolve(sock);
    });
  });
}

const openSockets = new WeakMap<Server, Set<Socket>>();

function startTcp(
  o: SyslogIntakeOptions,
  c: IntakeSyslogConfig,
  allow: BlockList | undefined,
  handle: (frame: Buffer, sender: string, source: IntakeSource) => void,
): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    const sender = sock.remoteAddress ?? '';
    if (!allowed(allow, sender) || sockets.size >= c.maxConnections) {
      o.metrics.received.inc({ source: 'syslog_tcp', outcome: 'refused' });
      sock.destroy();
      return;
    }
    sockets.add(sock);
    o.metrics.connections.inc({ transport: 'tcp' });
    sock.setTimeout(c.idleTimeoutS * 1000, () => sock.destroy());
    const framer = new SyslogFramer(c.maxMessageBytes, {
      frame: (msg) => handle(msg, sender, 'syslog_tcp'),
      error: (kind, fatal) => {
        o.metrics.framingErrors.inc({ transport: 'tcp', error: kind });
        if (fatal) sock.destroy();
      },
    });
    sock.on('data', (chunk: Buffer) => {
      framer.push(chunk);
      if (o.sink.busy()) pauseWhileBusy(sock, o.sink);
    });
    sock.on('end', () => framer.end());
    sock.on('error', () => undefined); // a reset by the sender is an ordinary end of a syslog stream
    sock.on('close', () => {
      sockets.delete(sock);
      o.metrics.connections.dec({ transport: 'tcp' });
    });
  });
  openSockets.set(server, sockets);
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(listenError('TCP', c.host, c.tcpPort, err)));
    server.listen(c.tcpPort, c.host, () => resolve(server));
  });
}

/** TCP backpressure: stop reading while the publisher spools beyond its bound; the sender's queue holds the rest. */
function pauseWhileBusy(sock: Socket, sink: IntakeSink): void {
  if (sock.isPaused()) return;
  sock.pause();
  const check = (): void => {
    if (sock.destroyed) return;
    if (sink.busy()) setTimeout(check, BUSY_RECHECK_MS).unref();
    else sock.resume();
  };
  setTimeout(check, BUSY_RECHECK_MS).unref();
}
