import { afterEach, describe, expect, it } from 'vitest';
import { DurableConsumer, EventPublisher, STREAMS, validateDecisionEvent } from '@sentinel/ingest';
import type { ConsumedRecord, DecisionEventV1 } from '@sentinel/ingest';
import { waitFor } from '@sentinel/infra';
import { publisherConfig, sampleEvent, startKit } from './kit.ts';
import type { NatsKit } from './kit.ts';

let kit: NatsKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

describe('durable consumer with maxWaitMs', () => {
  it('hands a lone record over within maxWaitMs and fills batches up to batchSize under load', async () => {
    kit = await startKit();
    const k = kit;
    const publisher = new EventPublisher({ nc: k.nc, name: 'mw', dataDir: k.dir, config: publisherConfig() });
    const batches: ConsumedRecord<DecisionEventV1>[][] = [];
    const arrived = new Map<string, number>();
    const consumer = new DurableConsumer({
      nc: k.nc,
      stream: STREAMS.events,
      durable: 'mw-reader',
      validate: validateDecisionEvent,
      batchSize: 200,
      maxWaitMs: 50,
      handle: async (batch) => {
        batches.push(batch);
        for (const r of batch) arrived.set(r.value.id, Date.now());
      },
    });
    const run = consumer.run();
    await consumer.ensure();

    const lone = sampleEvent(0);
    const sent = Date.now();
    publisher.publish(lone);
    await waitFor('the lone record', () => arrived.has(lone.id));
    expect((arrived.get(lone.id) ?? Infinity) - sent).toBeLessThan(500);

    const many = Array.from({ length: 1000 }, (_, i) => sampleEvent(i + 1));
    for (const e of many) publisher.publish(e);
    await waitFor('all records', () => arrived.size === 1001);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(200);
    expect(batches.flat().map((r) => r.value.id)).toEqual([lone.id, ...many.map((e) => e.id)]);

    consumer.stop();
    await run;
    await publisher.close();
    const info = await (await consumer.ensure()).info();
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });
});
