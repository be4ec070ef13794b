// Kafka intake: a consumer group reading JSON events (one event, a JSON array, or NDJSON per message),
// validated like HTTP. kafkajs is loaded with `await import()` only when intake.kafka is on. A message's
// offset is committed only after its events are acknowledged by JetStream or spooled (eachMessage
// resolves then), so a crash re-reads it: at-least-once, with the event id deduping the re-send.
import type * as KafkaJs from 'kafkajs';
import { IngestError, IngestErrorCode } from '../errors.ts';
import type { Logger } from '../util/log.ts';
import { readBatch } from './batch.ts';
import type { BatchResult } from './batch.ts';
import type { IntakeKafkaConfig } from './config.ts';
import type { IntakeMetrics } from './metrics.ts';
import { IntakeSink } from './sink.ts';

export interface KafkaIntakeOptions {
  config: IntakeKafkaConfig;
  sink: IntakeSink;
  metrics: IntakeMetrics;
  log: Logger;
  /** Most events in one message. */
  maxEvents: number;
}

export interface KafkaIntake {
  stop(): Promise<void>;
}

const BUSY_WAIT_MS = 500;

/** A message value as events; a tombstone (null value) or a bad one is a problem, not an exception. */
export function readKafkaValue(value: Buffer | null, maxEvents: number): BatchResult {
  if (value === null || value.length === 0)
    return {
      ok: false,
      status: 400,
      error: 'empty message',
      problems: [{ index: 0, field: '(body)', problem: 'holds no event' }],
    };
  return readBatch(value.toString('utf8'), undefined, maxEvents);
}

function sasl(c: IntakeKafkaConfig): KafkaJs.SASLOptions | undefined {
  if (!c.saslMechanism) return undefined;
  const creds = { username: c.username ?? '', password: c.password ?? '' };
  if (c.saslMechanism === 'plain') return { mechanism: 'plain', ...creds };
  if (c.saslMechanism === 'scram-sha-256') return { mechanism: 'scram-sha-256', ...creds };
  return { mechanism: 'scram-sha-512', ...creds };
}

export async function startKafkaIntake(o: KafkaIntakeOptions): Promise<KafkaIntake> {
  const c = o.config;
  const log = o.log.child({ component: 'intake-kafka' });
  let kafkajs: typeof KafkaJs;
  try {
    kafkajs = await import('kafkajs');
  } catch (err) {
    throw new IngestError(IngestErrorCode.IntakeListen, 'Kafka intake needs the kafkajs package', {
      cause: err,
    });
  }
  const auth = sasl(c);
  const kafka = new kafkajs.Kafka({
    clientId: c.clientId,
    brokers: c.brokers,
    ssl: c.ssl,
    ...(auth ? { sasl: auth } : {}),
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: c.groupId });
  try {
    await consumer.connect();
    for (const topic of c.topics) await consumer.subscribe({ topic, fromBeginning: c.fromBeginning });
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    throw new IngestError(
      IngestErrorCode.IntakeListen,
      `Kafka intake could not join ${c.brokers.join(',')}: ${(err as Error).message}`,
      {
        cause: err,
        context: { brokers: c.brokers, topics: c.topics },
      },
    );
  }
  let stopping = false;
  await consumer.run({
    eachMessage: async ({ topic, partition, message, heartbeat }) => {
      // Backpressure: hold this partition while the publisher spools past its bound.
      while (o.sink.busy() && !stopping) {
        await heartbeat();
        await new Promise((resolve) => setTimeout(resolve, BUSY_WAIT_MS));
      }
      const batch = readKafkaValue(message.value, o.maxEvents);
      if (!batch.ok) {
        o.metrics.received.inc({ source: 'kafka', outcome: 'invalid' });
        log.warn('Kafka message refused', {
          topic,
          partition,
          offset: message.offset,
          error: batch.error,
          problems: batch.problems.slice(0, 5),
        });
        return;
      }
      const r = await o.sink.accept(
        batch.events,
        IntakeSink.spoolEstimate(message.value?.length ?? 0, batch.events.length),
      );
      o.metrics.received.inc({ source: 'kafka', outcome: 'accepted' }, r.published + r.spooled);
      if (r.dropped > 0) {
        o.metrics.received.inc({ source: 'kafka', outcome: 'dropped' }, r.dropped);
        // Not committing the offset is the only way to get these again: fail the message so kafkajs retries it.
        throw new IngestError(
          IngestErrorCode.SpoolFull,
          `spool full: ${r.dropped} events of a Kafka message dropped`,
          {
            context: { topic, partition, offset: message.offset },
          },
        );
      }
    },
  });
  log.info('Kafka intake consuming', {
    brokers: c.brokers.join(','),
    topics: c.topics.join(','),
    group: c.groupId,
  });
  return {
    async stop() {
      stopping = true;
      await consumer.disconnect();
    },
  };
}
