// Kafka: only against a real broker. No Kafka broker is installable on this machine (no Debian package,
// no network beyond the npm registry), so without SENTINEL_TEST_KAFKA_BROKERS the test is skipped and
// says why. The producer path (batching, retries, dead-lettering, metrics) is the same runner every other
// sink goes through, covered by the syslog, HTTP and file tests; kafkaMessages() is unit-tested.
import { describe, expect, it } from 'vitest';
import { getFreePort } from '@sentinel/infra';
import { exportMetrics, SinkRunner } from '../../src/index.ts';
import { publishEvents, sinkConfig, startKit, testEvent, waitFor } from './kit.ts';

const brokers = process.env.SENTINEL_TEST_KAFKA_BROKERS?.split(',').filter((b) => b.length > 0) ?? [];
const why = 'SENTINEL_TEST_KAFKA_BROKERS is not set: no Kafka broker is installable on this machine';

describe.skipIf(brokers.length === 0)(
  `kafka sink against a real broker${brokers.length === 0 ? ` (skipped: ${why})` : ''}`,
  () => {
    it('kafka - every event arrives once, keyed by the client id, with the idempotent producer', async () => {
      const kit = await startKit('kafka');
      const topic = `sentinel-test-${Date.now()}`;
      const cfg = sinkConfig({
        name: 'kafka',
        kind: 'kafka',
        format: 'json',
        brokers,
        topic,
        filters: { source: 'events' },
      });
      const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log });
      const { Kafka } = await import('kafkajs');
      const consumer = new Kafka({ clientId: 'sentinel-test', brokers }).consumer({ groupId: topic });
      try {
        await runner.start();
        const events = Array.from({ length: 100 }, (_, i) => testEvent(i, 'kafka'));
        await publishEvents(kit.publisher, events);
        const got: { key: string; id: string }[] = [];
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            got.push({
              key: message.key?.toString() ?? '',
              id: (JSON.parse(message.value?.toString() ?? '{}') as { id: string }).id,
            });
          },
        });
        await waitFor('100 Kafka messages', () => got.length >= 100, { timeoutMs: 60_000 });
        expect(new Set(got.map((g) => g.id))).toEqual(new Set(events.map((e) => e.id)));
        for (const g of got) expect(g.key).toBe(events.find((e) => e.id === g.id)?.subject.clientId);
      } finally {
        await consumer.disconnect().catch(() => undefined);
        await runner.stop();
        await kit.close();
      }
    });
  },
);

describe('kafka sink without a broker', () => {
  it('kafka - with the broker unreachable the producer path keeps the records and retries, dead-lettering none', async () => {
    const kit = await startKit('kafka-down');
    const port = await getFreePort();
    const metrics = exportMetrics();
    const cfg = sinkConfig({
      name: 'kafka_down',
      kind: 'kafka',
      format: 'json',
      brokers: [`127.0.0.1:${port}`],
      filters: { source: 'events' },
    });
    const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log, metrics });
    try {
      await runner.start();
      await publishEvents(
        kit.publisher,
        Array.from({ length: 10 }, (_, i) => testEvent(i, 'kafka-down')),
      );
      const value = async (m: {
        get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }>;
      }) =>
        (await m.get()).values.filter((v) => v.labels.sink === 'kafka_down').reduce((a, v) => a + v.value, 0);
      await waitFor('two failed attempts', async () => (await value(metrics.failed)) >= 20, {
        timeoutMs: 60_000,
      });
      expect(await value(metrics.deadLettered)).toBe(0);
      expect(await value(metrics.sent)).toBe(0);
    } finally {
      await runner.stop();
      await kit.close();
    }
  });
});

if (brokers.length === 0) process.stderr.write(`[siem-export] kafka integration test skipped: ${why}\n`);
