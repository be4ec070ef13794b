// The quarantine store against a real nats-server: records land in SENTINEL_QUARANTINE under
// sentinel.quarantine.<node>.<client>, a retried record is not stored twice, and when NATS is gone the
// store fails with a typed error and the inspector reports quarantine.store_failed (the message is still
// not forwarded).
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { startNats, tempDir, waitFor } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { connectNats, ensureStreams, natsConfigSchema, STREAMS, streamsConfigSchema } from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InspectionEngine,
  inspectionConfig,
  QuarantineError,
  quarantineRecord,
  QuarantineStore,
  quarantineSubject,
  SentinelInspector,
} from '../../src/inspection/index.ts';
import type { QuarantineRecordV1, SessionFacts } from '../../src/inspection/index.ts';

const tmp = tempDir('sentinel-quar-');
let nats: NatsServer;
let nc: NatsConnection;
const session: SessionFacts = {
  sessionId: 's-1',
  clientId: 'meter/42 ü',
  ip: '127.0.0.1',
  username: 'meter',
  protocolVersion: 5,
};

beforeAll(async () => {
  nats = await startNats({ dir: tmp.dir });
  nc = await connectNats(natsConfigSchema.parse({ servers: [nats.url] }), {
    component: 'test',
    timeoutMs: 2000,
  });
  await ensureStreams(nc, streamsConfigSchema.parse({}));
});

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await nats?.stop();
  tmp.cleanup();
});

describe('quarantine store', () => {
  it('keeps the record with its metadata under the node and client subject, once even if stored twice', async () => {
    const store = new QuarantineStore({ js: jetstream(nc), node: 'edge-1' });
    const engine = new InspectionEngine({
      config: inspectionConfig({ watchRules: false, maxPayloadBytes: 16 }),
    });
    const msg = {
      topic: 'devices/meter/42',
      payload: Buffer.from('x'.repeat(40)),
      qos: 1 as const,
      retain: true,
      dup: false,
      userProperties: { a: 'b' },
    };
    const res = engine.publish(session, msg, Date.now());
    expect(res.action).toBe('quarantine');
    const rec = quarantineRecord('edge-1', session, msg, res.findings[0]!, Date.now());
    const first = await store.storeRecord(rec);
    const again = await store.storeRecord(rec);
    expect(first.subject).toBe(quarantineSubject('edge-1', session.clientId));
    expect(first.subject).toMatch(/^sentinel\.quarantine\.edge-1\.[A-Za-z0-9_-]+$/);
    expect(again).toMatchObject({ duplicate: true, seq: first.seq });
    const jsm = await jetstreamManager(nc);
    const got = (await jsm.streams.getMessage(STREAMS.quarantine, {
      seq: first.seq,
    }))!.json<QuarantineRecordV1>();
    expect(got).toEqual(rec);
    expect(got).toMatchObject({
      clientId: 'meter/42 ü',
      username: 'meter',
      retain: true,
      qos: 1,
      reason: 'anomaly.payload_size',
      size: 40,
      userProperties: { a: 'b' },
    });
    expect(Buffer.from(got.payload, 'base64').toString()).toBe('x'.repeat(40));
  });

  it('with NATS gone the store fails with a QuarantineError and the inspector emits quarantine.store_failed', async () => {
    const events: DecisionEventV1[] = [];
    const inspector = new SentinelInspector({
      engine: new InspectionEngine({ config: inspectionConfig({ watchRules: false, maxPayloadBytes: 16 }) }),
      node: 'edge-1',
      quarantine: new QuarantineStore({ js: jetstream(nc), node: 'edge-1', timeoutMs: 1000 }),
      emit: (e) => events.push(e),
    });
    await nats.stop();
    const msg = {
      topic: 'devices/meter/42',
      payload: Buffer.alloc(64, 0x41),
      qos: 0 as const,
      retain: false,
      dup: false,
    };
    const r = inspector.inspect(session, msg, Date.now());
    expect(r).toMatchObject({ action: 'quarantine', verdict: { ok: false, reason: 'anomaly.payload_size' } });
    await inspector.flush();
    await waitFor('store_failed event', () => events.find((e) => e.reason === 'quarantine.store_failed'));
    expect(events.map((e) => e.reason)).toEqual(['quarantine.store_failed']);
    expect(events[0]).toMatchObject({
      kind: 'quarantine',
      decision: 'drop',
      subject: { clientId: 'meter/42 ü' },
      mqtt: { topic: 'devices/meter/42', payloadSize: 64 },
    });
    const direct = new QuarantineStore({ js: jetstream(nc), node: 'edge-1', timeoutMs: 500 });
    const rec = quarantineRecord('edge-1', session, msg, r.findings[0]!, Date.now());
    await expect(direct.storeRecord(rec)).rejects.toBeInstanceOf(QuarantineError);
  });
});
