// AckPolicy "all" on a real nats-server: one ack per batch, a durable with the other policy replaced
// without losing a record, and a crashed reader's unacknowledged records holding every ack back until
// they have come again.
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DurableConsumer,
  EventPublisher,
  STREAMS,
  connectNats,
  validateDecisionEvent,
} from '@sentinel/ingest';
import type { ConsumedRecord, DecisionEventV1 } from '@sentinel/ingest';
import { waitFor } from '@sentinel/infra';
import { publisherConfig, sampleEvent, startKit } from './kit.ts';
import type { NatsKit } from './kit.ts';

let kit: NatsKit | undefined;
const extra: NatsConnection[] = [];
afterEach(async () => {
  for (const nc of extra.splice(0)) await nc.close().catch(() => undefined);
  await kit?.close();
  kit = undefined;
});

async function publish(k: NatsKit, events: DecisionEventV1[]): Promise<void> {
  const p = new EventPublisher({ nc: k.nc, name: 'aa', dataDir: k.dir, config: publisherConfig() });
  for (const e of events) p.publish(e);
  expect(await p.flush()).toBe(true);
  await p.close();
}

/** A reader on its own connection whose handler never returns from the batch after `handledBatches`. */
async function crashingReader(
  k: NatsKit,
  durable: string,
  ackAll: boolean,
  handledBatches: number,
): Promise<{ handled: string[]; crash(): Promise<void> }> {
  const nc = await connectNats(k.natsConfig, { component: 'crashing' });
  extra.push(nc);
  const handled: string[] = [];
  let batches = 0;
  const c = new DurableConsumer<DecisionEventV1>({
    nc,
    stream: STREAMS.events,
    durable,
    validate: validateDecisionEvent,
    batchSize: 100,
    maxWaitMs: 20,
    ackWaitMs: 1000,
    ackAll,
    handle: async (batch) => {
      if (batches++ >= handledBatches) await new Promise(() => undefined); // stuck, then the process dies
      handled.push(...batch.map((r) => r.value.id));
    },
  });
  void c.run().catch(() => undefined);
  await waitFor('the stuck batch', () => batches > handledBatches);
  return {
    handled,
    async crash() {
      c.stop();
      await nc.close();
    },
  };
}

describe('durable consumer with AckPolicy all', () => {
  it('acknowledges each batch with one ack and ends with nothing pending', async () => {
    kit = await startKit();
    const k = kit;
    const events = Array.from({ length: 1000 }, (_, i) => sampleEvent(i));
    await publish(k, events);
    let acks = 0;
    const sub = k.nc.subscribe(`$JS.ACK.${STREAMS.events}.all-reader.>`, {
      callback: () => {
        acks += 1;
      },
    });
    const seen: string[] = [];
    let batches = 0;
    const c = new DurableConsumer<DecisionEventV1>({
      nc: k.nc,
      stream: STREAMS.events,
      durable: 'all-reader',
      validate: validateDecisionEvent,
      batchSize: 100,
      maxWaitMs: 20,
      ackAll: true,
      handle: async (batch) => {
        batches += 1;
        seen.push(...batch.map((r) => r.value.id));
      },
    });
    const run = c.run();
    await waitFor('every record', () => seen.length === events.length);
    const jsm = await jetstreamManager(k.nc);
    await waitFor('all acknowledged', async () => {
      const info = await jsm.consumers.info(STREAMS.events, 'all-reader');
      return info.ack_floor.stream_seq === events.length && info.num_ack_pending === 0;
    });
    c.stop();
    await run;
    sub.unsubscribe();
    expect(seen).toEqual(events.map((e) => e.id));
    expect(acks).toBeGreaterThan(0);
    expect(acks).toBeLessThanOrEqual(batches);
    expect((await jsm.consumers.info(STREAMS.events, 'all-reader')).config.ack_policy).toBe('all');
  });

  it('replaces a durable with explicit acks: nothing acknowledged comes again, nothing delivered is lost, and what may have been handled is marked', async () => {
    kit = await startKit();
    const k = kit;
    const events = Array.from({ length: 500 }, (_, i) => sampleEvent(i));
    await publish(k, events);
    const old = await crashingReader(k, 'mig', false, 2);
    await old.crash();
    const jsm = await jetstreamManager(k.nc);
    const before = await jsm.consumers.info(STREAMS.events, 'mig');
    expect(before.config.ack_policy).toBe('explicit');
    expect(before.ack_floor.stream_seq).toBe(200);
    expect(before.delivered.stream_seq).toBeGreaterThan(200);

    const got: ConsumedRecord<DecisionEventV1>[] = [];
    const c = new DurableConsumer<DecisionEventV1>({
      nc: k.nc,
      stream: STREAMS.events,
      durable: 'mig',
      validate: validateDecisionEvent,
      batchSize: 100,
      maxWaitMs: 20,
      ackAll: true,
      handle: async (batch) => {
        got.push(...batch);
      },
    });
    const run = c.run();
    await waitFor('the rest of the stream', () => got.length >= 300);
    await waitFor('all acknowledged', async () => {
      const info = await jsm.consumers.info(STREAMS.events, 'mig');
      return info.ack_floor.stream_seq === events.length && info.num_ack_pending === 0;
    });
    c.stop();
    await run;
    expect(got.map((r) => r.value.id)).toEqual(events.slice(200).map((e) => e.id));
    for (const r of got) {
      if (r.seq <= before.delivered.stream_seq) expect(r.deliveryCount).toBeGreaterThanOrEqual(2);
      else expect(r.deliveryCount).toBe(1);
    }
    const after = await jsm.consumers.info(STREAMS.events, 'mig');
    expect(after.config.ack_policy).toBe('all');
    const names: string[] = [];
    for await (const ci of jsm.consumers.list(STREAMS.events)) names.push(ci.name);
    expect(names).not.toContain('mig-replacing');
  });

  it("holds every ack back until a crashed reader's unacknowledged records have come again and been handled", async () => {
    kit = await startKit();
    const k = kit;
    const first = Array.from({ length: 300 }, (_, i) => sampleEvent(i));
    await publish(k, first);
    const old = await crashingReader(k, 'hold', true, 1);
    await old.crash();
    expect(old.handled).toHaveLength(100);
    const jsm = await jetstreamManager(k.nc);
    const crashed = await jsm.consumers.info(STREAMS.events, 'hold');
    expect(crashed.ack_floor.stream_seq).toBe(100);
    const later = Array.from({ length: 300 }, (_, i) => sampleEvent(1000 + i));
    await publish(k, later);

    const handled = new Map<number, number>();
    const floors: { floor: number; foreignDone: boolean }[] = [];
    const foreign = new Set<number>();
    for (let s = 101; s <= crashed.delivered.stream_seq; s++) foreign.add(s);
    const c = new DurableConsumer<DecisionEventV1>({
      nc: k.nc,
      stream: STREAMS.events,
      durable: 'hold',
      validate: validateDecisionEvent,
      batchSize: 100,
      maxWaitMs: 20,
      ackWaitMs: 1000,
      ackAll: true,
      handle: async (batch) => {
        const info = await jsm.consumers.info(STREAMS.events, 'hold');
        floors.push({
          floor: info.ack_floor.stream_seq,
          foreignDone: [...foreign].every((s) => handled.has(s)),
        });
        for (const r of batch) handled.set(r.seq, (handled.get(r.seq) ?? 0) + 1);
      },
    });
    const run = c.run();
    await waitFor(
      'all acknowledged',
      async () => {
        const info = await jsm.consumers.info(STREAMS.events, 'hold');
        return info.ack_floor.stream_seq === 600 && info.num_ack_pending === 0;
      },
      { timeoutMs: 30_000 },
    );
    c.stop();
    await run;
    for (let s = 101; s <= 600; s++) expect(handled.has(s), `seq ${s}`).toBe(true);
    // no ack went past the crashed reader's records before they were handled again
    for (const f of floors) if (!f.foreignDone) expect(f.floor).toBe(100);
    expect(floors.some((f) => !f.foreignDone)).toBe(true);
  });
});
