// Kafka through kafkajs, loaded with `await import()` only when a kafka sink is configured. The producer
// is idempotent (one in-flight request, acks from all in-sync replicas), and the record's identity is the
// message key, so every record about one device lands in one partition, in order.
import type * as KafkaJs from 'kafkajs';
import { ExportError, ExportErrorCode } from '../errors.ts';
import type { Encoded, Sink, SinkFactory } from './types.ts';

/** Kafka messages for a batch: key = identity, value = the formatted record, timestamp = record time. */
export function kafkaMessages(
  batch: readonly Encoded[],
): { key: string; value: string; timestamp: string }[] {
  return batch.map((e) => ({ key: e.key, value: e.text, timestamp: String(e.ts) }));
}

const REJECTED = /MESSAGE_TOO_LARGE|INVALID_RECORD|CORRUPT_MESSAGE|RECORD_LIST_TOO_LARGE/;

export const createKafkaSink: SinkFactory<'kafka'> = async (cfg, ctx) => {
  let kafkajs: typeof KafkaJs;
  try {
    kafkajs = await import('kafkajs');
  } catch (err) {
    throw new ExportError(ExportErrorCode.Setup, 'the kafka sink needs the kafkajs package', { cause: err });
  }
  const kafka = new kafkajs.Kafka({
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    ssl: cfg.ssl,
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 2 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  let connected = false;
  const sink: Sink = {
    async send(batch) {
      try {
        if (!connected) {
          await producer.connect();
          connected = true;
          ctx.log.info('kafka producer connected', { brokers: cfg.brokers.join(',') });
        }
        await producer.send({ topic: cfg.topic, acks: -1, messages: kafkaMessages(batch) });
      } catch (err) {
        const message = (err as Error).message;
        const type = (err as { type?: string }).type ?? '';
        const code = REJECTED.test(type) ? ExportErrorCode.Rejected : ExportErrorCode.Unavailable;
        throw new ExportError(code, `kafka ${cfg.topic}: ${message}`, { cause: err });
      }
    },
    async close() {
      if (connected) await producer.disconnect();
    },
  };
  return sink;
};
