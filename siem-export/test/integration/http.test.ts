// Delivery to a real HTTP receiver: the generic JSON webhook and the Splunk HEC shape. Every record
// arrives exactly once in the normal case and at least once (none missing, in order) across an outage;
// a sink whose receiver is down never slows another sink; refused records end in the dead-letter stream.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createLogger, deadLetterSubject, STREAMS } from '@sentinel/ingest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableName, exportMetrics, makeEncoder, SinkRunner } from '../../src/index.ts';
import type { ExportMetrics } from '../../src/index.ts';
import { counts, publishEvents, sinkConfig, startKit, testEvent, waitFor } from './kit.ts';
import type { Kit } from './kit.ts';
import { startReceiver } from './receiver.ts';

async function metric(m: ExportMetrics, name: string, sink: string): Promise<number> {
  const all = await m.registry.getMetricsAsJSON();
  const found = all.find((x) => x.name === name) as
    { values: { value: number; labels: Record<string, string> }[] } | undefined;
  return found?.values.filter((v) => v.labels.sink === sink).reduce((a, v) => a + v.value, 0) ?? 0;
}

/** Record ids in the order the webhook bodies brought them. */
function webhookIds(bodies: { body: string }[]): string[] {
  return bodies.flatMap((b) => (JSON.parse(b.body) as { id: string }[]).map((r) => r.id));
}

describe('HTTP sinks against a real node:http receiver', () => {
  let kit: Kit;
  beforeAll(async () => {
    kit = await startKit('http');
  });
  afterAll(async () => {
    await kit?.close();
  });

  it('webhook - every event arrives exactly once as JSON, with the auth header', async () => {
    const rx = await startReceiver();
    await rx.start();
    const cfg = sinkConfig({
      name: 'hook',
      kind: 'webhook',
      format: 'json',
      url: `${rx.url}/ingest`,
      authorization: 'Bearer s3cret',
      filters: { source: 'events' },
      delivery: { deliver: 'new' },
    });
    const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log });
    await runner.start();
    try {
      const events = Array.from({ length: 400 }, (_, i) => testEvent(i, 'hook'));
      await publishEvents(kit.publisher, events);
      await waitFor('400 events at the webhook', () => webhookIds(rx.bodies).length >= 400);
      const got = webhookIds(rx.bodies);
      expect(got).toEqual(events.map((e) => e.id));
      expect(rx.bodies.every((b) => b.headers.authorization === 'Bearer s3cret')).toBe(true);
      const first = (JSON.parse(rx.bodies[0]?.body ?? '[]') as unknown[])[0];
      expect(first).toEqual(events[0]);
    } finally {
      await runner.stop();
      await rx.stop();
    }
  });

  it('splunk hec - events arrive once each in the HEC event shape at /services/collector/event with the Splunk token', async () => {
    const rx = await startReceiver();
    rx.respond = (_p, _b, h) =>
      h.authorization === 'Splunk hec-token'
        ? { status: 200, body: '{"text":"Success","code":0}' }
        : { status: 403 };
    await rx.start();
    const cfg = sinkConfig({
      name: 'hec',
      kind: 'splunk-hec',
      format: 'cef',
      url: rx.url,
      token: 'hec-token',
      index: 'iot',
      filters: { source: 'events' },
      delivery: { deliver: 'new' },
    });
    const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log });
    await runner.start();
    try {
      const events = Array.from({ length: 120 }, (_, i) => testEvent(i, 'hec'));
      await publishEvents(kit.publisher, events);
      const parse = (): { time: number; index: string; sourcetype: string; event: string }[] =>
        rx.bodies.flatMap((b) => b.body.split(/(?<=\})(?=\{"time")/).map((x) => JSON.parse(x) as never));
      await waitFor('120 HEC events', () => parse().length >= 120);
      expect(rx.bodies.every((b) => b.path === '/services/collector/event')).toBe(true);
      const encode = makeEncoder(cfg);
      const got = parse();
      expect(got.map((e) => e.event)).toEqual(events.map((e) => encode({ type: 'event', value: e }).text));
      expect(got[0]?.time).toBeCloseTo((events[0]?.ts ?? 0) / 1000, 3);
      expect(got[0]?.index).toBe('iot');
      expect(got[0]?.sourcetype).toBe('sentinel:cef');
    } finally {
      await runner.stop();
      await rx.stop();
    }
  });

  it('webhook - after the receiver is down for a while every event still arrives, in order', async () => {
    const rx = await startReceiver();
    await rx.start();
    const metrics = exportMetrics();
    const cfg = sinkConfig({
      name: 'hook_outage',
      kind: 'webhook',
      format: 'json',
      url: rx.url,
      filters: { source: 'events' },
      delivery: { deliver: 'new' },
    });
    const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log, metrics });
    await runner.start();
    try {
      const all = Array.from({ length: 100 }, (_, i) => testEvent(i, 'hook-outage'));
      await publishEvents(kit.publisher, all);
      await waitFor('first 100', () => webhookIds(rx.bodies).length >= 100);
      await rx.stop();
      const during = Array.from({ length: 300 }, (_, i) => testEvent(100 + i, 'hook-outage'));
      all.push(...during);
      await publishEvents(kit.publisher, during);
      await waitFor(
        'failed sends while the receiver is down',
        async () => (await metric(metrics, 'sentinel_export_failed_total', 'hook_outage')) > 0,
      );
      await new Promise((r) => setTimeout(r, 1500));
      await rx.start();
      await waitFor('every event after the outage', () => new Set(webhookIds(rx.bodies)).size >= all.length, {
        timeoutMs: 30_000,
      });
      expect([...new Set(webhookIds(rx.bodies))]).toEqual(all.map((e) => e.id));
      expect(await metric(metrics, 'sentinel_export_retried_total', 'hook_outage')).toBeGreaterThan(0);
    } finally {
      await runner.stop();
      await rx.stop();
    }
  });

  it('secrets - the webhook authorization and the HEC token never appear in the logs, even when sends fail', async () => {
    const lines: string[] = [];
    const log = createLogger({ test: 'secrets' }, 'debug', (l) => lines.push(l));
    const rx = await startReceiver();
    rx.respond = () => ({ status: 500, body: '{"error":"down"}' });
    await rx.start();
    const runners = [
      sinkConfig({
        name: 'sec_hook',
        kind: 'webhook',
        format: 'json',
        url: rx.url,
        authorization: 'Bearer hook-s3cret',
        headers: { 'X-Api-Key': 'key-s3cret' },
        filters: { source: 'events' },
        delivery: { deliver: 'new' },
      }),
      sinkConfig({
        name: 'sec_hec',
        kind: 'splunk-hec',
        format: 'cef',
        url: rx.url,
        token: 'hec-s3cret',
        filters: { source: 'events' },
        delivery: { deliver: 'new' },
      }),
    ].map((cfg) => new SinkRunner({ nc: kit.nc, cfg, log }));
    await Promise.all(runners.map((r) => r.start()));
    try {
      await publishEvents(kit.publisher, [testEvent(0, 'secrets')]);
      await waitFor(
        'failed sends logged by both sinks',
        () => lines.filter((l) => l.includes('send failed')).length >= 2,
      );
      expect(rx.bodies).toHaveLength(0);
      const all = lines.join('');
      expect(all).toContain('HTTP 500');
      for (const secret of ['hook-s3cret', 'key-s3cret', 'hec-s3cret']) expect(all).not.toContain(secret);
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
      await rx.stop();
    }
  });

  it('isolation - a sink whose receiver is down does not slow another sink reading the same events', async () => {
    const up = await startReceiver();
    await up.start();
    const down = await startReceiver(); // never started until the end
    const metrics = exportMetrics();
    const runners = [
      new SinkRunner({
        nc: kit.nc,
        cfg: sinkConfig({
          name: 'iso_up',
          kind: 'webhook',
          format: 'json',
          url: up.url,
          filters: { source: 'events' },
          delivery: { deliver: 'new' },
        }),
        log: kit.log,
        metrics,
      }),
      new SinkRunner({
        nc: kit.nc,
        cfg: sinkConfig({
          name: 'iso_down',
          kind: 'webhook',
          format: 'json',
          url: down.url,
          filters: { source: 'events' },
          delivery: { deliver: 'new' },
        }),
        log: kit.log,
        metrics,
      }),
    ];
    await Promise.all(runners.map((r) => r.start()));
    try {
      const events = Array.from({ length: 500 }, (_, i) => testEvent(i, 'iso'));
      const started = Date.now();
      await publishEvents(kit.publisher, events);
      await waitFor(
        'the healthy sink delivers everything',
        () => new Set(webhookIds(up.bodies)).size >= 500,
        { timeoutMs: 10_000 },
      );
      const healthyMs = Date.now() - started;
      expect(webhookIds(down.bodies)).toHaveLength(0);
      expect(await metric(metrics, 'sentinel_export_failed_total', 'iso_down')).toBeGreaterThan(0);
      expect(healthyMs).toBeLessThan(10_000);
      await down.start();
      await waitFor('the recovered sink catches up', () => new Set(webhookIds(down.bodies)).size >= 500, {
        timeoutMs: 30_000,
      });
      expect(counts(webhookIds(up.bodies)).size).toBe(500);
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
      await up.stop();
      await down.stop();
    }
  });

  it('dead letter - records the receiver keeps refusing go to the dead-letter subject, the rest are delivered', async () => {
    const rx = await startReceiver();
    rx.respond = (_p, body) =>
      body.includes('"poison"') ? { status: 400, body: '{"error":"bad record"}' } : { status: 200 };
    await rx.start();
    const cfg = sinkConfig({
      name: 'dlq',
      kind: 'webhook',
      format: 'json',
      url: rx.url,
      filters: { source: 'events' },
      delivery: { deliver: 'new', maxAttempts: 2, backoffMinMs: 10, backoffMaxMs: 20 },
    });
    const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log });
    await runner.start();
    try {
      const events = Array.from({ length: 50 }, (_, i) => {
        const e = testEvent(i, 'dlq');
        if (i % 10 === 3) e.message = 'poison';
        return e;
      });
      await publishEvents(kit.publisher, events);
      const good = events.filter((e) => e.message !== 'poison').map((e) => e.id);
      await waitFor('good records delivered', () => new Set(webhookIds(rx.bodies)).size >= good.length);
      expect([...new Set(webhookIds(rx.bodies))]).toEqual(good);
      const subject = deadLetterSubject(STREAMS.events, durableName('dlq', 'events'));
      const jsm = await jetstreamManager(kit.nc);
      await waitFor(
        '5 dead letters',
        async () =>
          (await jsm.streams.info(STREAMS.deadLetter, { subjects_filter: subject })).state.subjects?.[
            subject
          ] === 5,
      );
      // nats-server 2.9 has no multi-filter consumers; read the dead-letter stream and filter here.
      const c = await jetstream(kit.nc).consumers.get(STREAMS.deadLetter);
      const total = (await jsm.streams.info(STREAMS.deadLetter)).state.messages;
      const batch = await c.fetch({ max_messages: total, expires: 2000 });
      const dead: string[] = [];
      for await (const m of batch) {
        if (m.subject === subject) {
          dead.push((m.json() as { id: string }).id);
          expect(m.headers?.get('Sentinel-Cause')).toBe('refused');
          expect(m.headers?.get('Sentinel-Error')).toContain('HTTP 400');
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
      await rx.stop();
    }
  });
});
