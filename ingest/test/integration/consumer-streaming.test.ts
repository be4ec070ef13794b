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

describe('durable consumer pipelining', () => {
  it('parses the next batch while one is handled, hands batches over one at a time in order, and acks each only after its handler', async () => {
    kit = await startKit();
    const k = kit;
    const publisher = new EventPublisher({ nc: k.nc, name: 'pl', dataDir: k.dir, config: publisherConfig() });
    const events = Array.from({ length: 600 }, (_, i) => sampleEvent(i));
    for (const e of events) publisher.publish(e);
    await publisher.flush();
    let handling = 0;
    let overlapping = 0;
    let validatedDuringHandler = 0;
    const seen: string[] = [];
    const unackedInHandler: number[] = [];
    const consumer = new DurableConsumer<DecisionEventV1>({
      nc: k.nc,
      stream: STREAMS.events,
      durable: 'pl-reader',
      validate: (input) => {
        if (handling > 0) validatedDuringHandler += 1;
        return validateDecisionEvent(input);
      },
      batchSize: 100,
      maxWaitMs: 20,
      handle: async (batch) => {
        handling += 1;
        if (handling > 1) overlapping += 1;
        await new Promise((r) => setTimeout(r, 150));
        const info = await (await consumer.ensure()).info();
        unackedInHandler.push(info.num_ack_pending);
        seen.push(...batch.map((r) => r.value.id));
        handling -= 1;
      },
    });
    const run = consumer.run();
    await waitFor('all records handled', () => seen.length === events.length, { timeoutMs: 20_000 });
    consumer.stop();
    await run;
    await publisher.close();
    expect(seen).toEqual(events.map((e) => e.id));
    expect(overlapping).toBe(0);
    // the next batch was parsed and validated while a handler was still busy
    expect(validatedDuringHandler).toBeGreaterThan(0);
    // inside the handler its own records are still unacknowledged
    expect(Math.min(...unackedInHandler)).toBeGreaterThanOrEqual(100);
    const info = await (await consumer.ensure()).info();
    expect(info.num_ack_pending).toBe(0);
  });
});
