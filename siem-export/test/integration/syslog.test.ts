// Delivery to a real rsyslogd over UDP, TCP and TLS: every record arrives exactly once, byte for byte as
// the formatter wrote it; and after rsyslog is stopped for a while and started again, none is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, startRsyslog, tempDir } from '@sentinel/infra';
import type { Rsyslog } from '@sentinel/infra';
import { exportMetrics, makeEncoder, SinkRunner } from '../../src/index.ts';
import type { ExportRecord, SinkConfig } from '../../src/index.ts';
import {
  cefId,
  counts,
  publishEvents,
  publishIncident,
  sinkConfig,
  startKit,
  testEvent,
  testIncident,
  waitFor,
} from './kit.ts';
import type { Kit } from './kit.ts';

const N = 300;

describe('syslog sinks against a real rsyslog', () => {
  let kit: Kit;
  let rs: Rsyslog;
  const tmp = tempDir('sentinel-export-rsyslog-');
  beforeAll(async () => {
    kit = await startKit('syslog');
    rs = await startRsyslog({ dir: tmp.dir, tlsAuthMode: 'x509/certvalid' });
  });
  afterAll(async () => {
    await rs?.stop();
    await kit?.close();
    tmp.cleanup();
  });

  it('syslog - UDP, TCP and TLS sinks deliver every event and incident exactly once, byte for byte', async () => {
    const pki = rs.pki;
    if (!pki) throw new Error('rsyslog started without TLS');
    const cfgs: SinkConfig[] = [
      sinkConfig({
        name: 'udp',
        kind: 'syslog-udp',
        format: 'rfc5424',
        port: rs.ports.udp,
        maxMessageBytes: 8192,
        // UDP has no flow control: paced well below what a CPU-starved receiver on a shared host drops.
        maxPerSecond: 500,
      }),
      sinkConfig({ name: 'tcp', kind: 'syslog-tcp', format: 'cef', port: rs.ports.tcp }),
      sinkConfig({
        name: 'tls',
        kind: 'syslog-tls',
        format: 'leef',
        port: rs.ports.tls,
        framing: 'octet-counting',
        ca: pki.caCert,
        cert: pki.clientCert,
        key: pki.clientKey,
      }),
    ];
    const runners = cfgs.map((cfg) => new SinkRunner({ nc: kit.nc, cfg, log: kit.log }));
    await Promise.all(runners.map((r) => r.start()));
    const events = Array.from({ length: N }, (_, i) => testEvent(i, 'once'));
    const incidents = Array.from({ length: 5 }, (_, i) => testIncident(i));
    for (const inc of incidents) publishIncident(kit.publisher, inc);
    await publishEvents(kit.publisher, events);
    const records: ExportRecord[] = [
      ...events.map((value) => ({ type: 'event' as const, value })),
      ...incidents.map((value) => ({ type: 'incident' as const, value })),
    ];
    try {
      for (const [listener, cfg] of [
        ['udp', cfgs[0]],
        ['tcp', cfgs[1]],
        ['tls', cfgs[2]],
      ] as const) {
        if (!cfg) throw new Error('missing config');
        await waitFor(
          `${records.length} records over ${listener} (have ${rs.lines(listener).length})`,
          () => rs.lines(listener).length >= records.length,
          {
            timeoutMs: 30_000,
          },
        );
        const encode = makeEncoder(cfg);
        const expected = counts(records.map((r) => encode(r).text));
        const got = counts(rs.lines(listener));
        expect(got.size).toBe(records.length);
        for (const [line, n] of got) {
          expect(expected.get(line), `unexpected line over ${listener}: ${line.slice(0, 160)}`).toBe(1);
          expect(n).toBe(1);
        }
      }
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
    }
  });

  it('syslog - newline framing carries RFC 3164 lines to rsyslog byte for byte', async () => {
    const cfg = sinkConfig({
      name: 'tcp_newline',
      kind: 'syslog-tcp',
      format: 'rfc3164',
      framing: 'newline',
      port: rs.ports.tcp,
      filters: { source: 'events' },
      delivery: { deliver: 'new' },
    });
    const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log });
    const before = rs.lines('tcp').length;
    await runner.start();
    try {
      const events = Array.from({ length: 50 }, (_, i) => testEvent(i, 'newline'));
      await publishEvents(kit.publisher, events);
      await waitFor('50 RFC 3164 lines', () => rs.lines('tcp').length - before >= 50);
      const encode = makeEncoder(cfg);
      expect(rs.lines('tcp').slice(before)).toEqual(
        events.map((value) => encode({ type: 'event', value }).text),
      );
    } finally {
      await runner.stop();
    }
  });

  it('syslog - a TLS sink refuses a receiver whose certificate its CA did not sign, and delivers nothing', async () => {
    const other = tempDir('sentinel-export-otherca-');
    try {
      const wrongCa = await createTestPki(other.dir);
      const metrics = exportMetrics();
      const cfg = sinkConfig({
        name: 'tls_wrong_ca',
        kind: 'syslog-tls',
        format: 'cef',
        port: rs.ports.tls,
        ca: wrongCa.caCert,
        filters: { source: 'events' },
        delivery: { deliver: 'new' },
      });
      const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log, metrics });
      const before = rs.lines('tls').length;
      await runner.start();
      try {
        await publishEvents(kit.publisher, [testEvent(0, 'wrong-ca')]);
        await waitFor('failed TLS connects', async () => {
          const v = (await metrics.failed.get()).values.find((x) => x.labels.sink === 'tls_wrong_ca');
          return (v?.value ?? 0) >= 2;
        });
        expect(rs.lines('tls').length).toBe(before);
      } finally {
        await runner.stop();
      }
    } finally {
      other.cleanup();
    }
  });

  it('syslog - after rsyslog is stopped and started again every event still arrives over TCP, in order', async () => {
    const cfg = sinkConfig({
      name: 'tcp_outage',
      kind: 'syslog-tcp',
      format: 'cef',
      port: rs.ports.tcp,
      filters: { source: 'events' },
    });
    const metrics = exportMetrics();
    const runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log, metrics });
    const before = rs.lines('tcp').length;
    await runner.start();
    try {
      const batch = (from: number, n: number) =>
        Array.from({ length: n }, (_, i) => testEvent(from + i, 'outage'));
      const all = batch(0, 200);
      await publishEvents(kit.publisher, all);
      // The sink also replays the earlier tests' events (deliver: all), so rsyslog stops mid-stream.
      await waitFor('200 lines before rsyslog is stopped', () => rs.lines('tcp').length - before >= 200, {
        timeoutMs: 30_000,
      });
      await rs.stop();
      const during = batch(200, 300);
      all.push(...during);
      for (let i = 0; i < during.length; i += 50) {
        await publishEvents(kit.publisher, during.slice(i, i + 50));
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 1500));
      await rs.restart();
      const after = batch(500, 100);
      all.push(...after);
      await publishEvents(kit.publisher, after);
      const wanted = new Set(all.map((e) => e.id));
      const seen = (): string[] =>
        rs
          .lines('tcp')
          .map(cefId)
          .filter((id): id is string => id !== undefined && wanted.has(id));
      await waitFor('every event after the outage', () => new Set(seen()).size === wanted.size, {
        timeoutMs: 60_000,
      });
      // At least once: nothing missing; order: the first arrival of each id follows the publish order.
      const firstSeen = [...new Set(seen())];
      const want = all.map((e) => e.id);
      expect(firstSeen).toEqual(want);
      // The outage was real: sends failed while rsyslog was down.
      const failed =
        (await metrics.failed.get()).values.find((v) => v.labels.sink === 'tcp_outage')?.value ?? 0;
      expect(failed).toBeGreaterThan(0);
    } finally {
      await runner.stop();
    }
  });
});
