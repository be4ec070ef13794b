// One direction of the bridge: messages received on the source connection are mapped, stamped with the
// hop marker and published with QoS 1 to the destination; the source's PUBACK is sent only after the
// destination's PUBACK, so a message is never acknowledged upstream before the far side has it.
//
// Up to `window` messages per direction are in flight to the destination at once (PubackGate lets mqtt.js
// read on while their PUBACKs wait); when the window is full the source connection is not read until one
// completes, and the broker holds the rest (MQTT 5 Receive Maximum is set to the same window).
// `handleMessage` is used rather than `customHandleAcks` because mqtt.js applies the latter to MQTT 5
// only, and the core broker (nats-server) speaks MQTT 3.1.1.
import type { IClientPublishOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Logger } from '@sentinel/ingest';
import { backoffDelay } from './backoff.ts';
import type { BackoffPolicy } from './backoff.ts';
import type { BridgeConnection } from './connection.ts';
import { DeliveryRejectedError } from './errors.ts';
import { mapTopic } from './mapping.ts';
import { PubackGate } from './puback-gate.ts';
import type { CompiledRule, Direction } from './mapping.ts';
import type { BridgeMetrics } from './metrics.ts';

/** MQTT 5 user property carrying the ids of the deployments a message already went through. */
export const HOP_PROPERTY = 'sentinel-hop';

type UserProperties = Record<string, string | string[]>;

/** True when the message's hop marker names `deploymentId`. */
export function carriesHop(props: UserProperties | undefined, deploymentId: string): boolean {
  const v = props?.[HOP_PROPERTY];
  return v === deploymentId || (Array.isArray(v) && v.includes(deploymentId));
}

/** The user properties to send on: the source's, with this deployment added to the hop marker. */
export function withHop(props: UserProperties | undefined, deploymentId: string): UserProperties {
  const out: UserProperties = { ...props };
  const v = out[HOP_PROPERTY];
  out[HOP_PROPERTY] = v === undefined ? deploymentId : [...(Array.isArray(v) ? v : [v]), deploymentId];
  return out;
}

export interface PipeOptions {
  direction: Direction;
  rules: readonly CompiledRule[];
  source: BridgeConnection;
  destination: BridgeConnection;
  destinationVersion: 4 | 5;
  /** Messages of this direction in flight to the destination at once. */
  window: number;
  deploymentId: string;
  backoff: BackoffPolicy;
  metrics: BridgeMetrics;
  log: Logger;
  random: () => number;
}

export class Pipe {
  private stopping = false;
  private readonly labels: { direction: Direction };
  private readonly gate: PubackGate;
  private inFlight = 0;
  /** Read loops paused because `window` messages are in flight. */
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly o: PipeOptions) {
    this.labels = { direction: o.direction };
    this.gate = new PubackGate(o.source.client);
    o.source.client.handleMessage = (packet, done) => this.handle(packet, done);
  }

  /** Subscribe the rules' filters (after every CONNACK: cheap, and right whether the session survived). */
  subscribe(client: MqttClient): void {
    const filters = this.o.rules.filter((r) => r.direction === this.o.direction).map((r) => r.from);
    if (filters.length === 0) return;
    client.subscribe(filters, { qos: 1 }, (err) => {
      if (!err) return;
      this.o.metrics.errors.inc({ side: this.sourceSide(), kind: 'subscribe' });
      this.o.log.error('bridge subscribe failed', { direction: this.o.direction, error: err.message });
    });
  }

  stop(): void {
    this.stopping = true;
  }

  private sourceSide(): 'core' | 'origin' {
    return this.o.direction === 'out' ? 'core' : 'origin';
  }

  private handle(packet: IPublishPacket, done: (err?: Error) => void): void {
    const received = performance.now();
    const generation = this.o.source.generation;
    const m = this.o.metrics;
    m.ingested.inc(this.labels);
    const props = packet.properties?.userProperties as UserProperties | undefined;
    const mapped = carriesHop(props, this.o.deploymentId)
      ? undefined
      : mapTopic(this.o.rules, this.o.direction, packet.topic);
    if (!mapped) {
      const reason = carriesHop(props, this.o.deploymentId) ? 'loop' : 'unmapped';
      m.dropped.inc({ ...this.labels, reason });
      this.release(packet, Promise.resolve(true), done);
      return;
    }
    m.inFlight.inc(this.labels);
    this.inFlight++;
    const settled = this.deliver(mapped.topic, packet, props).then(
      () => {
        m.persisted.inc(this.labels);
        m.latency.observe(this.labels, (performance.now() - received) / 1000);
        return true;
      },
      (err: unknown) => {
        if (!(err instanceof DeliveryRejectedError)) return false; // stopping: the source redelivers later
        m.dropped.inc({ ...this.labels, reason: 'rejected' });
        this.o.log.warn('bridge destination refused a message', { ...err.context });
        return true;
      },
    );
    void settled.finally(() => {
      m.inFlight.dec(this.labels);
      this.inFlight--;
      this.waiting.shift()?.();
    });
    // A PUBACK sent on a newer connection would acknowledge the broker's redelivery, not this message.
    const current = settled.then((ok) => ok && generation === this.o.source.generation);
    this.release(packet, current, done);
  }

  /** Let mqtt.js read on (at once, or when the window has room); the PUBACK waits for `settled`. */
  private release(packet: IPublishPacket, settled: Promise<boolean>, done: (err?: Error) => void): void {
    if (packet.qos > 0 && packet.messageId !== undefined) this.gate.hold(packet.messageId, settled);
    if (this.inFlight < this.o.window) done();
    else this.waiting.push(() => done());
  }

  private publishOptions(packet: IPublishPacket, props: UserProperties | undefined): IClientPublishOptions {
    const opts: IClientPublishOptions = { qos: 1, retain: packet.retain };
    if (this.o.destinationVersion === 5) {
      const p = packet.properties;
      opts.properties = {
        userProperties: withHop(props, this.o.deploymentId),
        ...(p?.contentType !== undefined ? { contentType: p.contentType } : {}),
        ...(p?.payloadFormatIndicator !== undefined
          ? { payloadFormatIndicator: p.payloadFormatIndicator }
          : {}),
        ...(p?.correlationData !== undefined ? { correlationData: p.correlationData } : {}),
      };
    }
    return opts;
  }

  /** Publish until the destination acknowledges; a refusal (reason code >= 0x80) is final. */
  private async deliver(
    topic: string,
    packet: IPublishPacket,
    props: UserProperties | undefined,
  ): Promise<void> {
    const opts = this.publishOptions(packet, props);
    const destSide = this.o.direction === 'out' ? 'origin' : 'core';
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new Error('bridge stopping');
      try {
        await this.o.destination.client.publishAsync(topic, packet.payload as Buffer, opts);
        return;
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number' && code >= 0x80) throw new DeliveryRejectedError(code, topic);
        if (this.stopping) throw err;
        this.o.metrics.errors.inc({ side: destSide, kind: 'publish' });
        await new Promise((r) => setTimeout(r, backoffDelay(attempt, this.o.backoff, this.o.random)));
      }
    }
  }
}
