import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/nats-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DurableConsumer,
  EventPublisher,
  STREAMS,
  connectNats,
  deadLetterSubject,
  ensureStreams,
  eventSubject,
  streamsConfigSchema,
  validateDecisionEvent,
} from '@sentinel/ingest';
import type { ConsumedRecord, DecisionEventV1 } from '@sentinel/ingest';
import { sleep, waitFor } from '@sentinel/infra';
import { publisherConfig, readStream, sampleEvent, startKit } from './kit.ts';
import type { NatsKit } from './kit.ts';

const kits: NatsKit[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const k of kits.splice(0)) await k.close();
});

async function kit(): Promise<NatsKit> {
  const k = await startKit();
  kits.push(k);
  return k;
}

describe('ingest pipeline against a real nats-server', () => {
  it('events published are consumed once each, in order, and acked', async () => {
    const k = await kit();
    const publisher = new EventPublisher({ nc: k.nc, name: 'rt', dataDir: k.dir, config: publisherConfig() });
    const sent = Array.from({ length: 2000 }, (_, i) => sampleEvent(i));
    for (const ev of sent) publisher.publish(ev);
    expect(await publisher.flush()).toBe(true);
    expect(publisher.getStats()).toMatchObject({ published: 2000, spooled: 0, mode: 'live' });

    const received: DecisionEventV1[] = [];
    const consumer = new DurableConsumer({
      nc: k.nc,
      stream: STREAMS.events,
      durable: 'rt-reader',
      validate: validateDecisionEvent,
      handle: async (batch: ConsumedRecord<DecisionEventV1>[]) => {
        received.push(...batch.map((r) => r.value));
      },
    });
    const run = consumer.run();
    await waitFor('all events consumed', () => received.length >= 2000);
    consumer.stop();
    await run;
    expect(received.map((e) => e.id)).toEqual(sent.map((e) => e.id));
    expect(received[5]).toEqual(sent[5]);
    const info = await (await jetstreamManager(k.nc)).consumers.info(STREAMS.events, 'rt-reader');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
    await publisher.close();
  });

  it('creating the streams twice is harmless and applies new limits', async () => {
    const k = await kit();
    await ensureStreams(k.nc, streamsConfigSchema.parse({ eventsMaxAgeHours: 24 }));
    const info = await (await jetstreamManager(k.nc)).streams.info(STREAMS.events);
    expect(info.config.max_age).toBe(24 * 3600 * 1e9);
    expect(info.config.subjects).toEqual(['sentinel.events.>']);
  });

  it('a nats-server killed and restarted in the middle of a 100,000-event publish ends with exactly 100,000 distinct events', async () => {
    const k = await kit();
    const publisher = new EventPublisher({
      nc: k.nc,
      name: 'kill-test',
      dataDir: k.dir,
      config: publisherConfig({ ackTimeoutMs: 1000 }),
    });
    const total = 100_000;
    const ids = new Set<string>();
    for (let i = 0; i < total; i++) {
      const ev = sampleEvent(i);
      ids.add(ev.id);
      publisher.publish(ev);
      if (i % 2000 === 1999) await sleep(1);
      if (i === 30_000) await k.server.kill();
      if (i === 60_000) {
        await sleep(300);
        await k.server.restart();
      }
    }
    expect(await publisher.flush(90_000)).toBe(true);
    const stats = publisher.getStats();
    expect(stats.spooled).toBeGreaterThan(0);
    expect(stats.spoolDropped).toBe(0);
    await publisher.close();

    const jsm = await jetstreamManager(k.nc);
    expect((await jsm.streams.info(STREAMS.events)).state.messages).toBe(total);
    const stored = await readStream(k.nc, STREAMS.events);
    expect(stored.ids.length).toBe(total);
    const distinct = new Set(stored.ids);
    expect(distinct.size).toBe(total);
    for (const id of ids) expect(distinct.has(id)).toBe(true);
  });

  it('a publisher process killed with events in its spool replays them on restart', async () => {
    const k = await kit();
    const script = fileURLToPath(new URL('./fixtures/publisher-child.ts', import.meta.url));
    const spawnChild = (mode: string): { child: ChildProcess; lines: AsyncIterator<string> } => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, k.server.url, k.dir, mode, '5000'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
    };
    const first = spawnChild('spool');
    expect((await first.lines.next()).value).toBe('ready');
    await k.server.stop();
    expect((await first.lines.next()).value).toBe('spooled 5000');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    await k.server.restart();
    const second = spawnChild('replay');
    expect((await second.lines.next()).value).toBe('drained 5000 true');
    const nc = await connectNats(k.natsConfig);
    const stored = await readStream(nc, STREAMS.events);
    await nc.close();
    expect(stored.ids.length).toBe(5000);
    expect(new Set(stored.ids).size).toBe(5000);
  });

  it('malformed events are rejected at the consumer with a clear error and dead-lettered, not retried', async () => {
    const k = await kit();
    const js = jetstream(k.nc);
    const good = sampleEvent(1);
    const missingKind = { ...sampleEvent(2), kind: undefined };
    await js.publish(eventSubject('auth'), 'this is not json {');
    await js.publish(eventSubject('auth'), JSON.stringify({ ...sampleEvent(3), severity: 42 }));
    await js.publish(eventSubject('auth'), JSON.stringify(missingKind));
    await js.publish(eventSubject('auth'), JSON.stringify(good));

    const handled: string[] = [];
    const consumer = new DurableConsumer({
      nc: k.nc,
      stream: STREAMS.events,
      durable: 'strict-reader',
      validate: validateDecisionEvent,
      handle: async (batch) => {
        handled.push(...batch.map((r) => r.value.id));
      },
    });
    const run = consumer.run();
    await waitFor('the good event', () => handled.length === 1);
    await sleep(500);
    consumer.stop();
    await run;
    expect(handled).toEqual([good.id]);

    const dlq = await readStream(
      k.nc,
      STREAMS.deadLetter,
      deadLetterSubject(STREAMS.events, 'strict-reader'),
    );
    expect(dlq.data.length).toBe(3);
    const errors = dlq.headers.map((h) => h?.['Sentinel-Error'] ?? '');
    expect(errors[0]).toMatch(/^not JSON/);
    expect(errors[1]).toContain('severity must be between 0 and 10, got 42');
    expect(errors[2]).toContain('kind is required');
    expect(dlq.headers.every((h) => h?.['Sentinel-Cause'] === 'invalid')).toBe(true);
    const info = await (await jetstreamManager(k.nc)).consumers.info(STREAMS.events, 'strict-reader');
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  it('a record whose handler keeps failing is retried with backoff, then dead-lettered, without holding back the others', async () => {
    const k = await kit();
    const publisher = new EventPublisher({
      nc: k.nc,
      name: 'poison',
      dataDir: k.dir,
      config: publisherConfig(),
    });
    const events = Array.from({ length: 10 }, (_, i) => sampleEvent(i));
    const poison = events[4] as DecisionEventV1;
    for (const ev of events) publisher.publish(ev);
    await publisher.flush();
    const done = new Set<string>();
    const attempts = new Map<string, number>();
    const consumer = new DurableConsumer({
      nc: k.nc,
      stream: STREAMS.events,
      durable: 'poison-reader',
      validate: validateDecisionEvent,
      maxDeliver: 3,
      backoffMs: [50, 100],
      handle: async (batch) => {
        for (const r of batch) attempts.set(r.value.id, (attempts.get(r.value.id) ?? 0) + 1);
        if (batch.some((r) => r.value.id === poison.id)) throw new Error('cannot store this one');
        for (const r of batch) done.add(r.value.id);
      },
    });
    const run = consumer.run();
    await waitFor('nine good events', () => done.size === 9);
    const dlq = await waitFor('the poison record in the DLQ', async () => {
      const s = await readStream(k.nc, STREAMS.deadLetter);
      return s.ids.length === 1 ? s : undefined;
    });
    consumer.stop();
    await run;
    await publisher.close();
    expect(dlq.ids).toEqual([poison.id]);
    expect(dlq.headers[0]?.['Sentinel-Error']).toContain('handler failed 3 times: cannot store this one');
    expect(dlq.headers[0]?.['Sentinel-Cause']).toBe('failed');
    expect(attempts.get(poison.id)).toBeGreaterThanOrEqual(3);
    expect(done.has(poison.id)).toBe(false);
  });

  it('publishes with headers keep the event id as Nats-Msg-Id, so a re-send is dropped as a duplicate', async () => {
    const k = await kit();
    const js = jetstream(k.nc);
    const ev = sampleEvent(7);
    const h = natsHeaders();
    h.set('Nats-Msg-Id', ev.id);
    const publisher = new EventPublisher({
      nc: k.nc,
      name: 'dup',
      dataDir: k.dir,
      config: publisherConfig(),
    });
    publisher.publish(ev);
    await publisher.flush();
    const again = await js.publish(eventSubject(ev.kind), JSON.stringify(ev), { headers: h });
    expect(again.duplicate).toBe(true);
    await publisher.close();
  });
});
