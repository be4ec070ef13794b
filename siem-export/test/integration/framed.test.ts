// The runner's path for byte-stream sinks (records framed as they are encoded, only the bytes kept until
// the batch is confirmed), through a sink scripted here so that it can refuse: the refused batch is split
// into records encoded again from their messages, the poison ones go to the dead-letter subject and the
// rest arrive, in order, as exactly the bytes the encoder gives for them.
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { deadLetterSubject, STREAMS } from '@sentinel/ingest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  durableName,
  ExportError,
  ExportErrorCode,
  frameStreamBytes,
  makeEncoder,
  SinkRunner,
  StreamFramer,
} from '../../src/index.ts';
import type { Encoded, Sink } from '../../src/index.ts';
import { publishEvents, sinkConfig, startKit, testEvent, waitFor } from './kit.ts';
import type { Kit } from './kit.ts';

/** A newline-framed byte sink that refuses any write holding "poison", keeping what it accepted. */
function refusingFramedSink(): Sink & { accepted: Buffer[]; framedWrites: number; plainWrites: number } {
  const refuse = (bytes: Buffer): void => {
    if (bytes.includes('poison')) throw new ExportError(ExportErrorCode.Rejected, 'poison refused');
  };
  const sink = {
    accepted: [] as Buffer[],
    framedWrites: 0,
    plainWrites: 0,
    framer: () => new StreamFramer('newline'),
    async sendFramed(bytes: Buffer): Promise<number> {
      sink.framedWrites++;
      refuse(bytes);
      sink.accepted.push(bytes);
      return 0;
    },
    async send(batch: readonly Encoded[]): Promise<void> {
      sink.plainWrites++;
      const bytes = frameStreamBytes(batch, 'newline');
      refuse(bytes);
      sink.accepted.push(bytes);
    },
    async close(): Promise<void> {},
  };
  return sink;
}

describe('byte-stream sinks in the runner', () => {
  let kit: Kit;
  beforeAll(async () => {
    kit = await startKit('framed');
  });
  afterAll(async () => {
    await kit?.close();
  });

  it('framed batches - refused records are dead-lettered one by one, the rest arrive byte for byte in order', async () => {
    const cfg = sinkConfig({
      name: 'framed',
      kind: 'syslog-tcp',
      format: 'cef',
      port: 1,
      filters: { source: 'events' },
      delivery: { deliver: 'new', batchSize: 20, maxAttempts: 2, backoffMinMs: 10, backoffMaxMs: 20 },
      formatOptions: { hostname: 'test' },
    });
    const sink = refusingFramedSink();
    const runner = new SinkRunner({ nc: kit.nc, cfg, sink, log: kit.log });
    await runner.start();
    try {
      const events = Array.from({ length: 60 }, (_, i) => {
        const e = testEvent(i, 'framed');
        if (i % 10 === 7) e.message = 'poison';
        return e;
      });
      await publishEvents(kit.publisher, events);
      const encode = makeEncoder(cfg);
      const good = events.filter((e) => e.message !== 'poison');
      const expected = good.map((value) => encode({ type: 'event', value }).text + '\n').join('');
      await waitFor('good records delivered', () => Buffer.concat(sink.accepted).length >= expected.length);
      expect(Buffer.concat(sink.accepted).toString('utf8')).toBe(expected);
      expect(sink.framedWrites).toBeGreaterThan(0);
      expect(sink.plainWrites).toBeGreaterThan(0);

      const subject = deadLetterSubject(STREAMS.events, durableName('framed', 'events'));
      const jsm = await jetstreamManager(kit.nc);
      const count = async (): Promise<number> =>
        (await jsm.streams.info(STREAMS.deadLetter, { subjects_filter: subject })).state.subjects?.[
          subject
        ] ?? 0;
      await waitFor('6 dead letters', async () => (await count()) === 6);
      const c = await jetstream(kit.nc).consumers.get(STREAMS.deadLetter);
      const total = (await jsm.streams.info(STREAMS.deadLetter)).state.messages;
      const dead: string[] = [];
      for await (const m of await c.fetch({ max_messages: total, expires: 2000 })) {
        if (m.subject === subject) {
          dead.push((m.json() as { id: string }).id);
          expect(m.headers?.get('Sentinel-Cause')).toBe('refused');
        }
        if (m.info.pending === 0) break;
      }
      expect(dead.sort()).toEqual(
        events
          .filter((e) => e.message === 'poison')
          .map((e) => e.id)
          .sort(),
      );
    } finally {
      await runner.stop();
    }
  });

  it('ack policy - a durable consumer created with another ack policy stops the sink with a setup error naming its position', async () => {
    const cfg = sinkConfig({
      name: 'explicit',
      kind: 'syslog-tcp',
      format: 'cef',
      port: 1,
      filters: { source: 'events' },
    });
    const durable = durableName('explicit', 'events');
    const jsm = await jetstreamManager(kit.nc);
    await jsm.consumers.add(STREAMS.events, { durable_name: durable, ack_policy: AckPolicy.Explicit });
    const runner = new SinkRunner({ nc: kit.nc, cfg, sink: refusingFramedSink(), log: kit.log });
    try {
      await expect(runner.start()).rejects.toMatchObject({
        code: ExportErrorCode.Setup,
        message: expect.stringMatching(/ack policy "explicit".*needs "all".*stream sequence 1 /) as unknown,
      });
      expect((await jsm.consumers.info(STREAMS.events, durable)).config.ack_policy).toBe(AckPolicy.Explicit);
    } finally {
      await runner.stop();
    }
  });
});
