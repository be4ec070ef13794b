// The device listeners: MQTT over TCP, TLS (1.2 and 1.3, optional mutual TLS) and WebSocket. Each turns a
// connection into a Duplex plus the peer facts and hands both to `accept`. The servers work the same
// whether they listen themselves or are given sockets by the cluster primary (`emit('connection')`).
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { ReasonCode } from '@sentinel/ingest';
import type { EnforcementConfig } from '../config.ts';
import { ListenError } from '../errors.ts';
import type { PeerInfo } from '../session/context.ts';
import { normalizeIp, socketPeer, tlsPeer } from './peer.ts';

export type ListenerKind = 'tcp' | 'tls' | 'ws';

export interface ListenerHooks {
  accept(device: Duplex, peer: PeerInfo): void;
  /** A TLS connection refused before any MQTT byte. */
  tlsRefused(peer: PeerInfo, reason: ReasonCode, message: string): void;
}

export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string;
}

export interface Listeners {
  servers: Partial<Record<ListenerKind, NetServer | TlsServer | HttpServer>>;
  /** Bind every enabled listener; resolves with the ports bound (0 in config picks a free one). */
  listen(): Promise<Partial<Record<ListenerKind, number>>>;
  /** Hand a raw socket accepted elsewhere (cluster primary) to the right server. */
  inject(kind: ListenerKind, socket: Socket): void;
  close(): Promise<void>;
}

function tlsRefusal(err: Error & { code?: string }): ReasonCode {
  const text = `${err.code ?? ''} ${err.message}`.toLowerCase();
  if (text.includes('did_not_return_a_certificate') || text.includes('certificate required'))
    return 'tls.client_cert_required';
  if (text.includes('certificate') || text.includes('unknown ca') || text.includes('verify'))
    return 'tls.client_cert_invalid';
  return 'tls.handshake_failed';
}

function tlsServer(cfg: EnforcementConfig, files: TlsFiles, hooks: ListenerHooks): TlsServer {
  const t = cfg.tls;
  const mtls = t.clientCerts !== 'off';
  const srv = createTlsServer(
    {
      cert: readFileSync(files.cert),
      key: readFileSync(files.key),
      ...(files.ca ? { ca: readFileSync(files.ca) } : {}),
      minVersion: t.minVersion,
      maxVersion: t.maxVersion,
      requestCert: mtls,
      // `required`: the handshake itself refuses a missing or unverified certificate.
      rejectUnauthorized: t.clientCerts === 'required',
      handshakeTimeout: cfg.protocol.connectTimeoutMs,
    },
    (s: TLSSocket) => {
      s.setNoDelay(true);
      const peer = tlsPeer(s, 'tls');
      const presented = mtls && Object.keys(s.getPeerCertificate() ?? {}).length > 0;
      if (presented && !s.authorized) {
        hooks.tlsRefused(
          peer,
          'tls.client_cert_invalid',
          String(s.authorizationError ?? 'unverified certificate'),
        );
        s.destroy();
        return;
      }
      hooks.accept(s, peer);
    },
  );
  srv.on('tlsClientError', (err: Error & { code?: string }, s: TLSSocket) => {
    hooks.tlsRefused(socketPeer(s, 'tls'), tlsRefusal(err), err.message.slice(0, 200));
  });
  return srv;
}

function wsServer(cfg: EnforcementConfig, hooks: ListenerHooks): HttpServer {
  const http = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
  });
  const wss = new WebSocketServer({
    server: http,
    path: cfg.ws.path,
    maxPayload: cfg.protocol.maxPacketSize,
    // MQTT over WebSocket negotiates the "mqtt" subprotocol [MQTT-6.0.0-3]
    handleProtocols: (protocols) =>
      protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false,
  });
  wss.on('connection', (ws, req) => {
    const peer: PeerInfo = {
      ip: normalizeIp(req.socket.remoteAddress),
      port: req.socket.remotePort ?? 0,
      transport: 'ws',
    };
    req.socket.setNoDelay(true);
    hooks.accept(createWebSocketStream(ws), peer);
  });
  return http;
}

export function createListeners(
  cfg: EnforcementConfig,
  tlsFiles: TlsFiles | undefined,
  hooks: ListenerHooks,
): Listeners {
  const servers: Listeners['servers'] = {};
  if (cfg.tcp.enabled) {
    servers.tcp = createNetServer((s: Socket) => {
      s.setNoDelay(true);
      hooks.accept(s, socketPeer(s, 'tcp'));
    });
  }
  if (cfg.tls.enabled && tlsFiles) servers.tls = tlsServer(cfg, tlsFiles, hooks);
  if (cfg.ws.enabled) servers.ws = wsServer(cfg, hooks);
  const ports: Record<ListenerKind, number> = { tcp: cfg.tcp.port, tls: cfg.tls.port, ws: cfg.ws.port };
  return {
    servers,
    async listen() {
      const bound: Partial<Record<ListenerKind, number>> = {};
      for (const [kind, srv] of Object.entries(servers) as [ListenerKind, NetServer][]) {
        bound[kind] = await listenOn(srv, kind, ports[kind], cfg.host);
      }
      return bound;
    },
    inject(kind, socket) {
      const srv = servers[kind];
      if (!srv) return void socket.destroy();
      srv.emit('connection', socket);
    },
    async close() {
      await Promise.all(Object.values(servers).map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}

function listenOn(srv: NetServer, kind: string, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(new ListenError(kind, port, err));
    srv.once('error', onError);
    srv.listen(port, host, () => {
      srv.off('error', onError);
      const a = srv.address();
      resolve(a && typeof a === 'object' ? a.port : port);
    });
  });
}
