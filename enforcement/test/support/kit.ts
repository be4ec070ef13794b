// The enforcement test kit: a node in this process with chosen settings, real MQTT clients, raw sockets.
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectDevice } from '@sentinel/infra';
import { STREAMS } from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { enforcementConfigSchema } from '../../src/config.ts';
import type { EnforcementConfig } from '../../src/config.ts';
import { EnforcementNode } from '../../src/node.ts';
import type { NodeDeps, NodePorts } from '../../src/node.ts';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export interface TestNode {
  node: EnforcementNode;
  ports: NodePorts;
  events: DecisionEventV1[];
  config: EnforcementConfig;
  stop(): Promise<void>;
}

export function nodeConfig(
  over: DeepPartial<EnforcementConfig> & Record<string, unknown>,
): EnforcementConfig {
  return enforcementConfigSchema.parse({
    metricsPort: 0,
    sweepMs: 50,
    ...over,
    // Free ports unless a test picks its own.
    tcp: { port: 0, ...over.tcp },
    ws: { port: 0, ...over.ws },
    tls: { port: 0, ...over.tls },
  });
}

export async function startTestNode(
  over: DeepPartial<EnforcementConfig> & Record<string, unknown>,
  deps: Partial<NodeDeps> = {},
): Promise<TestNode> {
  const config = nodeConfig(over);
  const events: DecisionEventV1[] = [];
  const node = new EnforcementNode(config, 'test-node', {
    ...deps,
    emit: (e) => {
      events.push(e);
      deps.emit?.(e);
    },
  });
  const ports = await node.listen();
  return { node, ports, events, config, stop: () => node.stop() };
}

export function connectClient(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

/** Outcome of a CONNECT that may be refused: the CONNACK code (mqtt.js reports it as `code`). */
export async function connackOf(url: string, opts: IClientOptions): Promise<number> {
  try {
    const c = await connectClient(url, opts);
    c.end(true);
    return 0;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}

export function endClient(c: MqttClient): Promise<void> {
  return new Promise((r) => c.end(false, {}, () => r()));
}

export interface RawConn {
  socket: Socket;
  received(): Buffer;
  closed: Promise<void>;
  waitBytes(n: number, timeoutMs?: number): Promise<Buffer>;
}

/** A raw TCP connection to send hand-made bytes and see what comes back and when it closes. */
export function rawConnect(port: number): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
    socket.on('error', () => undefined);
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => buf,
        closed,
        async waitBytes(n, timeoutMs = 3000) {
          const deadline = Date.now() + timeoutMs;
          while (buf.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          return buf;
        },
      }),
    );
    socket.once('error', reject);
  });
}

export function eventsOf(events: DecisionEventV1[], reason: string): DecisionEventV1[] {
  return events.filter((e) => e.reason === reason);
}

export async function until<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function rawConnectPacket(
  clientId: string,
  opts: { version?: 4 | 5; keepalive?: number } = {},
): Buffer {
  const v = opts.version ?? 4;
  const id = Buffer.from(clientId);
  const body = [
    0,
    4,
    0x4d,
    0x51,
    0x54,
    0x54,
    v,
    0x02,
    0,
    opts.keepalive ?? 30,
    ...(v === 5 ? [0] : []),
    id.length >> 8,
    id.length & 0xff,
    ...id,
  ];
  return Buffer.from([0x10, body.length, ...body]);
}

/** SUBACK codes of one SUBSCRIBE, refusals included (mqtt.js rejects when a code is 0x80 or above). */
export async function subackCodes(
  c: MqttClient,
  topics: Record<string, { qos: 0 | 1 | 2 }>,
): Promise<number[]> {
  try {
    return (await c.subscribeAsync(topics)).map((g) => g.qos as number);
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted;
    if (granted) return granted;
    throw err;
  }
}

/** Read decision events back from SENTINEL_EVENTS with an ordered consumer, as any downstream reader would. */
export async function followEvents(
  nc: NatsConnection,
): Promise<{ events: DecisionEventV1[]; stop(): Promise<void> }> {
  const consumer = await jetstream(nc).consumers.get(STREAMS.events);
  const events: DecisionEventV1[] = [];
  const messages = await consumer.consume();
  const done = (async () => {
    for await (const m of messages) events.push(m.json<DecisionEventV1>());
  })();
  return {
    events,
    async stop() {
      await messages.close();
      await done;
    },
  };
}

/** An mqtt.js client whose TCP connection leaves from `localAddress` (another loopback address). */
export function connectFrom(localAddress: string, port: number, opts: IClientOptions): Promise<MqttClient> {
  return connectDevice({ port, from: localAddress, connectTimeout: 5000, ...opts });
}
