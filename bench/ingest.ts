// npm run bench -- ingest
// Publishes the same decision events three ways against one local, file-backed nats-server:
//   1. through EventPublisher into JetStream (acked, deduplicated)  -> publish_events_per_s
//   2. with plain core NATS publish (no JetStream, no acks)          -> core_nats_events_per_s
//   3. reads them back with the DurableConsumer (validation + ack)  -> consume_events_per_s
// and reports publish_ratio_vs_core_nats = (1) / (2), measured in the same run.
import {
  connectNats,
  DurableConsumer,
  ensureStreams,
  EventPublisher,
  makeEvent,
  natsConfigSchema,
  publisherConfigSchema,
  STREAMS,
  streamsConfigSchema,
  validateDecisionEvent,
} from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { startNats, tempDir } from '@sentinel/infra';
import { metric, progress } from './_report.ts';

const SUITE = 'ingest';
const N = Number(process.env.SENTINEL_BENCH_EVENTS ?? 300_000);

function events(n: number): DecisionEventV1[] {
  const out: DecisionEventV1[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      makeEvent({
        node: 'bench-node',
        reason: i % 10 === 0 ? 'auth.bad_credentials' : 'publish.summary',
        subject: {
          clientId: `meter-${i % 10_000}`,
          ip: `10.1.${(i >> 8) & 255}.${i & 255}`,
          port: 30_000 + (i % 20_000),
          protocolVersion: 4,
        },
        mqtt: {
          packetType: 'publish',
          topic: `devices/meter-${i % 10_000}/telemetry`,
          qos: 1,
          payloadSize: 180,
        },
      }),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const t = tempDir('sentinel-bench-ingest-');
  const server = await startNats({ dir: `${t.dir}/nats`, mqttPort: 0 });
  try {
    const nc = await connectNats(natsConfigSchema.parse({ servers: [server.url] }));
    await ensureStreams(nc, streamsConfigSchema.parse({}));
    progress(SUITE, `nats-server ${server.url}, file storage in a temp dir; ${N} events per phase`);

    // warm-up: JIT and the server's first block files
    const warm = new EventPublisher({
      nc,
      name: 'warm',
      dataDir: t.dir,
      config: publisherConfigSchema.parse({}),
    });
    for (const ev of events(20_000)) warm.publish(ev);
    await warm.flush(60_000);
    await warm.close();

    const batch = events(N);
    progress(SUITE, 'phase 1: JetStream through EventPublisher');
    const publisher = new EventPublisher({
      nc,
      name: 'bench',
      dataDir: t.dir,
      config: publisherConfigSchema.parse({}),
    });
    let started = performance.now();
    for (let i = 0; i < batch.length; i++) {
      publisher.publish(batch[i] as DecisionEventV1);
      // let acks in: a real node interleaves publishing with socket I/O the same way
      if ((i & 4095) === 4095) await new Promise((r) => setImmediate(r));
    }
    const flushed = await publisher.flush(120_000);
    const jsSeconds = (performance.now() - started) / 1000;
    const stats = publisher.getStats();
    await publisher.close();
    if (!flushed || stats.spooled > 0)
      progress(SUITE, `warning: ${stats.spooled} events were spooled during the run`);
    const jsRate = N / jsSeconds;
    progress(SUITE, `  ${Math.round(jsRate)} events/s (${jsSeconds.toFixed(2)} s)`);

    progress(SUITE, 'phase 2: plain core NATS publish (no JetStream)');
    const coreSubject = 'bench.core.events';
    started = performance.now();
    for (let i = 0; i < batch.length; i++) {
      const ev = batch[i] as DecisionEventV1;
      nc.publish(coreSubject, JSON.stringify(ev));
      if ((i & 4095) === 4095) await new Promise((r) => setImmediate(r));
    }
    await nc.flush();
    const coreSeconds = (performance.now() - started) / 1000;
    const coreRate = N / coreSeconds;
    progress(SUITE, `  ${Math.round(coreRate)} events/s (${coreSeconds.toFixed(2)} s)`);

    progress(SUITE, 'phase 3: DurableConsumer reading SENTINEL_EVENTS (validate + ack)');
    const expected = N + 20_000;
    let seen = 0;
    const consumer = new DurableConsumer({
      nc,
      stream: STREAMS.events,
      durable: 'bench-reader',
      batchSize: 1000,
      validate: validateDecisionEvent,
      handle: async (records) => {
        seen += records.length;
        if (seen >= expected) consumer.stop();
      },
    });
    await consumer.ensure();
    started = performance.now();
    await consumer.run();
    const consumeSeconds = (performance.now() - started) / 1000;
    const consumeRate = seen / consumeSeconds;
    progress(SUITE, `  ${Math.round(consumeRate)} events/s (${consumeSeconds.toFixed(2)} s, ${seen} events)`);

    metric(SUITE, 'publish_events_per_s', jsRate, 'events/s');
    metric(SUITE, 'core_nats_events_per_s', coreRate, 'events/s');
    metric(SUITE, 'publish_ratio_vs_core_nats', jsRate / coreRate, 'ratio');
    metric(SUITE, 'consume_events_per_s', consumeRate, 'events/s');
    await nc.close();
  } finally {
    await server.stop();
    t.cleanup();
  }
}

await main();
