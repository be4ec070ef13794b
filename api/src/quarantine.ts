// Quarantined messages in SENTINEL_QUARANTINE (written by enforcement's inspection): list them, release
// one (re-publish the original payload to the core broker, then delete it from the stream) or discard one.
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { STREAMS } from '@sentinel/ingest';
import { connectAsync } from 'mqtt';
import { z } from 'zod';
import { NotFoundError, UnavailableError } from './errors.ts';

/** The fields of enforcement's QuarantineRecordV1 the api reads; unknown fields pass through. */
export const quarantineRecordSchema = z
  .object({
    v: z.literal(1),
    id: z.string(),
    ts: z.number(),
    node: z.string(),
    clientId: z.string(),
    username: z.string().optional(),
    ip: z.string(),
    topic: z.string(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]),
    retain: z.boolean(),
    reason: z.string(),
    rule: z.string(),
    ruleName: z.string().optional(),
    matched: z.string().optional(),
    severity: z.number(),
    size: z.number(),
    payload: z.string(),
  })
  .loose();
export type QuarantineRecord = z.output<typeof quarantineRecordSchema>;

export interface QuarantinedMessage {
  seq: number;
  subject: string;
  record: QuarantineRecord;
}

export interface QuarantineOptions {
  nc: NatsConnection;
  jsm: JetStreamManager;
  coreMqttUrl: string;
  releaseMaxQos: number;
}

export class Quarantine {
  constructor(private readonly o: QuarantineOptions) {}

  /** Up to `limit` messages after sequence `after`, oldest first. */
  async list(after: number, limit: number): Promise<{ items: QuarantinedMessage[]; next: number | null }> {
    const info = await this.o.jsm.streams.info(STREAMS.quarantine);
    const { first_seq: first, last_seq: last, messages } = info.state;
    const start = Math.max(after + 1, first);
    if (messages === 0 || start > last) return { items: [], next: null };
    const consumer = await jetstream(this.o.nc).consumers.get(STREAMS.quarantine, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
    });
    const items: QuarantinedMessage[] = [];
    const iter = await consumer.fetch({ max_messages: limit, expires: 2000 });
    for await (const m of iter) {
      const r = quarantineRecordSchema.safeParse(safeJson(m.data));
      if (r.success) items.push({ seq: m.seq, subject: m.subject, record: r.data });
      if (m.seq >= last || items.length >= limit) break;
    }
    const lastSeq = items[items.length - 1]?.seq ?? last;
    return { items, next: lastSeq < last ? lastSeq : null };
  }

  async get(seq: number): Promise<QuarantinedMessage> {
    let msg;
    try {
      msg = await this.o.jsm.streams.getMessage(STREAMS.quarantine, { seq });
    } catch {
      msg = null;
    }
    if (!msg) throw new NotFoundError(`quarantined message ${seq}`);
    const r = quarantineRecordSchema.safeParse(safeJson(msg.data));
    if (!r.success) throw new NotFoundError(`quarantined message ${seq} (unreadable record)`);
    return { seq, subject: msg.subject, record: r.data };
  }

  /** Publish the original payload to the core broker, then drop it from quarantine. */
  async release(seq: number): Promise<QuarantinedMessage> {
    const m = await this.get(seq);
    const qos = Math.min(m.record.qos, this.o.releaseMaxQos) as 0 | 1 | 2;
    let client;
    try {
      client = await connectAsync(this.o.coreMqttUrl, {
        clientId: `sentinel-api-release-${process.pid}-${seq}`,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        protocolVersion: 4,
      });
      await client.publishAsync(m.record.topic, Buffer.from(m.record.payload, 'base64'), {
        qos,
        retain: m.record.retain,
      });
    } catch (err) {
      throw new UnavailableError(`could not publish to the core broker: ${(err as Error).message}`, err);
    } finally {
      await client?.endAsync().catch(() => undefined);
    }
    await this.o.jsm.streams.deleteMessage(STREAMS.quarantine, seq);
    return m;
  }

  async discard(seq: number): Promise<QuarantinedMessage> {
    const m = await this.get(seq);
    await this.o.jsm.streams.deleteMessage(STREAMS.quarantine, seq);
    return m;
  }
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
