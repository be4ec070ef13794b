// WS /api/v1/stream: live events and incidents from JetStream (one ordered consumer per stream, deliver
// new) fanned out to clients with server-side filters. Authentication by the Authorization header or by
// the first message, never by the URL (URLs end up in logs). Each client has a bounded queue: when it falls
// behind, the oldest messages go and the client gets {type:"gap", missed:N} before the next one.
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { EVENT_KINDS, STREAMS, silentLogger } from '@sentinel/ingest';
import type { DecisionEventV1, IncidentV1, Logger } from '@sentinel/ingest';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { TokenRecord, TokenStore } from '../auth/tokens.ts';
import { bearer } from '../http/app.ts';
import type { ApiMetrics } from '../metrics.ts';

export const STREAM_PATH = '/api/v1/stream';

export const filterSchema = z
  .object({
    types: z
      .array(z.enum(['event', 'incident']))
      .min(1)
      .default(['event', 'incident']),
    kinds: z.array(z.enum(EVENT_KINDS)).optional(),
    minSeverity: z.number().int().min(0).max(10).default(0),
    identity: z.string().min(1).max(512).optional(),
  })
  .strict();
export type StreamFilter = z.output<typeof filterSchema>;

const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().max(256) }),
  z.object({ type: z.literal('subscribe'), filter: filterSchema }),
]);

type Live = { type: 'event'; data: DecisionEventV1 } | { type: 'incident'; data: IncidentV1 };

export function matches(f: StreamFilter, m: Live): boolean {
  if (!f.types.includes(m.type)) return false;
  if (m.data.severity < f.minSeverity) return false;
  if (m.type === 'event') {
    if (f.kinds && !f.kinds.includes(m.data.kind)) return false;
    if (f.identity) {
      const s = m.data.subject;
      return [s.ip, s.clientId, s.username, s.certFingerprint].includes(f.identity);
    }
    return true;
  }
  return !f.identity || m.data.identity.value === f.identity;
}

/** A client's bounded queue; pure, so that the drop-oldest policy is testable alone. */
export class BoundedQueue {
  private items: string[] = [];
  missed = 0;
  constructor(private readonly max: number) {}
  push(item: string): number {
    this.items.push(item);
    let dropped = 0;
    while (this.items.length > this.max) {
      this.items.shift();
      this.missed += 1;
      dropped += 1;
    }
    return dropped;
  }
  /** The next message to send: a gap notice first when messages were dropped. */
  next(): string | undefined {
    if (this.missed > 0 && this.items.length > 0) {
      const gap = JSON.stringify({ type: 'gap', missed: this.missed });
      this.missed = 0;
      return gap;
    }
    return this.items.shift();
  }
  get length(): number {
    return this.items.length;
  }
}

interface Client {
  ws: WebSocket;
  token: TokenRecord | undefined;
  filter: StreamFilter;
  queue: BoundedQueue;
  waiting: boolean;
}

export interface LiveStreamOptions {
  nc: NatsConnection;
  tokens: TokenStore;
  queueSize: number;
  maxBufferedBytes: number;
  authTimeoutS: number;
  metrics: ApiMetrics;
  log?: Logger;
}

export class LiveStream {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly clients = new Set<Client>();
  private readonly log: Logger;
  private readonly stops: (() => void)[] = [];

  constructor(private readonly o: LiveStreamOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'api-stream' });
  }

  /** Start following both streams from now on. */
  async start(): Promise<void> {
    await Promise.all([this.follow(STREAMS.events, 'event'), this.follow(STREAMS.incidents, 'incident')]);
  }

  private async follow(stream: string, type: Live['type']): Promise<void> {
    const consumer = await jetstream(this.o.nc).consumers.get(stream, { deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume();
    this.stops.push(() => void messages.stop());
    void (async () => {
      for await (const m of messages) {
        let data: unknown;
        try {
          data = m.json();
        } catch {
          continue;
        }
        this.broadcast({ type, data } as Live);
      }
    })().catch((err: unknown) => this.log.warn('stream consumer ended', { error: err, stream }));
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== STREAM_PATH) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req));
    });
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    const header = bearer(req.headers.authorization);
    const c: Client = {
      ws,
      token: header ? this.o.tokens.verify(header) : undefined,
      filter: filterSchema.parse({}),
      queue: new BoundedQueue(this.o.queueSize),
      waiting: false,
    };
    if (header && !c.token) {
      ws.close(4401, 'unknown token');
      return;
    }
    this.clients.add(c);
    if (c.token) this.ready(c);
    const timer = setTimeout(() => {
      if (!c.token) ws.close(4401, 'authenticate with the first message');
    }, this.o.authTimeoutS * 1000);
    ws.on('message', (raw) => this.onMessage(c, raw.toString()));
    ws.on('close', () => {
      clearTimeout(timer);
      if (this.clients.delete(c) && c.token) this.o.metrics.streamClients.dec();
    });
    ws.on('error', () => ws.terminate());
  }

  private ready(c: Client): void {
    this.o.metrics.streamClients.inc();
    c.ws.send(JSON.stringify({ type: 'ready', name: c.token?.name, filter: c.filter }));
  }

  private onMessage(c: Client, text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const m = clientMessage.safeParse(parsed);
    if (!m.success) {
      const reason = m.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ');
      c.ws.send(JSON.stringify({ type: 'error', message: reason }));
      return;
    }
    if (m.data.type === 'auth') {
      if (c.token) return;
      c.token = this.o.tokens.verify(m.data.token);
      if (!c.token) c.ws.close(4401, 'unknown token');
      else this.ready(c);
      return;
    }
    if (!c.token) {
      c.ws.close(4401, 'authenticate first');
      return;
    }
    c.filter = m.data.filter;
    c.ws.send(JSON.stringify({ type: 'subscribed', filter: c.filter }));
  }

  broadcast(m: Live): void {
    let text: string | undefined;
    for (const c of this.clients) {
      if (!c.token || !matches(c.filter, m)) continue;
      text ??= JSON.stringify(m);
      const dropped = c.queue.push(text);
      if (dropped > 0) this.o.metrics.streamDropped.inc(dropped);
      this.pump(c);
    }
  }

  /** Send while the socket buffer has room; a send's callback resumes a waiting client. */
  private pump(c: Client): void {
    while (c.queue.length > 0 && c.ws.readyState === c.ws.OPEN) {
      if (c.ws.bufferedAmount >= this.o.maxBufferedBytes) {
        c.waiting = true;
        return;
      }
      const next = c.queue.next();
      if (next === undefined) return;
      this.o.metrics.streamSent.inc({ type: next.startsWith('{"type":"gap"') ? 'gap' : 'live' });
      c.ws.send(next, () => {
        if (c.waiting) {
          c.waiting = false;
          this.pump(c);
        }
      });
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  async stop(): Promise<void> {
    for (const s of this.stops.splice(0)) s();
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
