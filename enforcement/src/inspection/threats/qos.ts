// QoS abuse: floods of QoS 1/2 PUBLISH (each costs the broker an ack and state), and QoS 2 redelivery
// loops (the same packet id's PUBREC/PUBREL or DUP PUBLISH again and again, pinning broker state).
import { REASONS } from '@sentinel/ingest';
import { BoundedMap, WindowCounter } from '../bounded.ts';
import type { InspectionConfig } from '../config.ts';
import type { Finding } from '../types.ts';
import { finding } from '../types.ts';

export type Qos2Step = 'pubrec' | 'pubrel' | 'dup';

interface ClientQos {
  second: WindowCounter;
  flaggedSecond: number;
  /** `${step}:${packetId}` → [count, first seen ms]; at most 64 packet ids tracked per client. */
  repeats: Map<string, [number, number]>;
}

const MAX_IDS_PER_CLIENT = 64;

export class QosTracker {
  private readonly clients: BoundedMap<string, ClientQos>;

  constructor(private readonly cfg: InspectionConfig) {
    this.clients = new BoundedMap(cfg.maxTrackedClients);
  }

  private state(clientId: string): ClientQos {
    return this.clients.upsert(clientId, () => ({
      second: new WindowCounter(1000, 10),
      flaggedSecond: -1,
      repeats: new Map(),
    }));
  }

  /** A QoS 1/2 PUBLISH: over the per-second limit it is dropped (one event per second, not per message). */
  publish(clientId: string, qos: 0 | 1 | 2, now: number, out: Finding[]): void {
    if (qos === 0) return;
    const c = this.state(clientId);
    const rate = c.second.add(now);
    if (rate <= this.cfg.qosFloodPerS) return;
    const sec = Math.floor(now / 1000);
    const first = c.flaggedSecond !== sec;
    c.flaggedSecond = sec;
    const f = finding(
      'threat.qos_flood',
      'drop',
      'drop',
      REASONS['threat.qos_flood'].severity,
      {
        id: 'threat.qos_flood',
        name: 'QoS 1/2 PUBLISH flood',
        technique: 'T1499',
        values: { rate, limit: this.cfg.qosFloodPerS, qos },
      },
      `${rate} QoS ${qos} PUBLISH in the last second (limit ${this.cfg.qosFloodPerS}/s): dropped`,
    );
    // Every message over the limit is dropped; only the first drop of each second becomes an event.
    if (!first) f.quiet = true;
    out.push(f);
  }

  /** A PUBREC / PUBREL / DUP PUBLISH for `packetId`: repeated past the limit it is a redelivery loop. */
  qos2(clientId: string, step: Qos2Step, packetId: number, now: number, out: Finding[]): void {
    const c = this.state(clientId);
    const key = `${step}:${packetId}`;
    const windowStart = now - this.cfg.qos2LoopWindowS * 1000;
    const e = c.repeats.get(key);
    if (e === undefined || e[1] < windowStart) {
      c.repeats.delete(key);
      c.repeats.set(key, [1, now]);
      if (c.repeats.size > MAX_IDS_PER_CLIENT) c.repeats.delete(c.repeats.keys().next().value as string);
      return;
    }
    e[0]++;
    if (e[0] <= this.cfg.qos2LoopRepeats) return;
    c.repeats.delete(key);
    out.push(
      finding(
        'threat.qos2_loop',
        'disconnect',
        'disconnect',
        REASONS['threat.qos2_loop'].severity,
        {
          id: `threat.qos2_loop.${step}`,
          name: 'QoS 2 redelivery loop',
          technique: 'T1499',
          values: {
            step,
            packetId,
            repeats: e[0],
            limit: this.cfg.qos2LoopRepeats,
            windowS: this.cfg.qos2LoopWindowS,
          },
        },
        `${step.toUpperCase()} for packet id ${packetId} repeated ${e[0]} times within ${this.cfg.qos2LoopWindowS} s`,
      ),
    );
  }

  /** The flow for `packetId` completed (PUBCOMP): forget its repeats. */
  completed(clientId: string, packetId: number): void {
    const c = this.clients.peek(clientId);
    if (!c) return;
    c.repeats.delete(`pubrec:${packetId}`);
    c.repeats.delete(`pubrel:${packetId}`);
    c.repeats.delete(`dup:${packetId}`);
  }

  forget(clientId: string): void {
    this.clients.delete(clientId);
  }
}
