// The publisher writes its HPUB frames through nats.js internals (src/publisher/hpub.ts). Against a real
// nats-server: the internals are there on a real connection (else this fails loudly), what lands in the
// stream is each record's exact JSON with its id as Nats-Msg-Id, and JetStream's dedupe sees those ids.
import { afterEach, describe, expect, it } from 'vitest';
import { headers as natsHeaders } from '@nats-io/nats-core';
import {
  AckReader,
  EventPublisher,
  HpubWriter,
  STREAMS,
  SUBJECTS,
  eventSubject,
  natsInternalsUsable,
  readAck,
} from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { publisherConfig, readStream, sampleEvent, startKit } from './kit.ts';
import type { NatsKit } from './kit.ts';

const kits: NatsKit[] = [];
afterEach(async () => {
  for (const k of kits.splice(0)) await k.close();
});

async function kit(): Promise<NatsKit> {
  const k = await startKit();
  kits.push(k);
  return k;
}

/** Events with one-byte, two-byte, three-byte and four-byte characters in the JSON. */
function unicodeEvent(i: number): DecisionEventV1 {
  const ev = sampleEvent(i);
  const names = [`dev-${i}`, `gerät-${i}`, `设备-${i}`, `meter-😀-${i}`];
  return { ...ev, subject: { ...ev.subject, clientId: names[i % names.length] as string } };
}

describe('publisher fast path against a real nats-server', () => {
  it('a real nats.js connection has the internals the fast path writes through', async () => {
    const k = await kit();
    expect(natsInternalsUsable(k.nc)).toBeDefined();
    expect(new HpubWriter(k.nc, '_INBOX.X.').fast).toBe(true);
  });

  it("the byte scan recognises this nats-server's plain acknowledgement; its duplicate answer goes to the full reading", async () => {
    const k = await kit();
    const h = natsHeaders();
    h.set('Nats-Msg-Id', 'ack-shape-1');
    const first = await k.nc.request(eventSubject('auth'), '{}', { headers: h, timeout: 5000 });
    const again = await k.nc.request(eventSubject('auth'), '{}', { headers: h, timeout: 5000 });
    const reader = new AckReader();
    expect(reader.fastStream(first.data), first.string()).toBe(STREAMS.events);
    expect(reader.fastStream(again.data), again.string()).toBeUndefined();
    expect(readAck(again.data)).toEqual({ ok: true, stream: STREAMS.events, duplicate: true });
  });

  it('stores every record as its exact JSON with its id as Nats-Msg-Id, and JetStream dedupes by it', async () => {
    const k = await kit();
    const publisher = new EventPublisher({
      nc: k.nc,
      name: 'fast',
      dataDir: k.dir,
      config: publisherConfig(),
    });
    const events = Array.from({ length: 2000 }, (_, i) => unicodeEvent(i));
    for (const ev of events) publisher.publish(ev);
    expect(await publisher.flush(20_000)).toBe(true);
    // the same ids again: JetStream answers "duplicate" and stores nothing new
    for (const ev of events.slice(0, 100)) publisher.publish(ev);
    expect(await publisher.flush(20_000)).toBe(true);
    const stats = publisher.getStats();
    await publisher.close();
    expect(stats.published).toBe(2100);
    expect(stats.duplicates).toBe(100);
    expect(stats.spooled).toBe(0);
    const stored = await readStream(k.nc, STREAMS.events);
    expect(stored.data).toEqual(events.map((ev) => JSON.stringify(ev)));
    expect(stored.headers.map((h) => h?.['Nats-Msg-Id'])).toEqual(events.map((ev) => ev.id));
  });

  it('records whose id the fast path does not take verbatim go through nc.publish() and arrive too', async () => {
    const k = await kit();
    const publisher = new EventPublisher({
      nc: k.nc,
      name: 'odd',
      dataDir: k.dir,
      config: publisherConfig(),
    });
    const subject = `${SUBJECTS.incidents}.test`;
    const ids = ['plain-1', 'with space-2', 'ünïcode-3', 'plain-4'];
    for (const id of ids) publisher.publishRecord(subject, { id });
    expect(await publisher.flush(10_000)).toBe(true);
    await publisher.close();
    const stored = await readStream(k.nc, STREAMS.incidents);
    expect(stored.ids).toEqual(ids);
    expect(stored.headers.map((h) => h?.['Nats-Msg-Id'])).toEqual(ids);
  });
});
