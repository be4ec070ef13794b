import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool } from '@sentinel/ingest';
import { tempDir } from '@sentinel/infra';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function spoolDir(): string {
  const t = tempDir('sentinel-spool-');
  cleanups.push(t.cleanup);
  return t.dir;
}

const rec = (i: number) => ({
  subject: 'sentinel.events.auth',
  id: `id-${i}`,
  data: JSON.stringify({ i, text: 'a\tb' }),
});

describe('disk spool', () => {
  it('returns records in append order across segments and survives a reopen', () => {
    const dir = spoolDir();
    const s = new DiskSpool({ dir, maxBytes: 10 * 1024 * 1024, segmentBytes: 64 * 1024 });
    for (let i = 0; i < 5000; i++) expect(s.append(rec(i))).toBe(true);
    s.close();
    const again = new DiskSpool({ dir, maxBytes: 10 * 1024 * 1024, segmentBytes: 64 * 1024 });
    const seen: number[] = [];
    for (let seg = again.nextSegment(); seg; seg = again.nextSegment()) {
      for (const r of seg.records) seen.push((JSON.parse(r.data) as { i: number }).i);
      again.release(seg.seq);
    }
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(again.empty).toBe(true);
    again.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.spool'))).toEqual([]);
  });

  it('refuses appends past its byte bound instead of growing', () => {
    const s = new DiskSpool({ dir: spoolDir(), maxBytes: 1024 * 1024, segmentBytes: 64 * 1024 });
    let accepted = 0;
    for (let i = 0; i < 100_000; i++) if (s.append(rec(i))) accepted++;
    expect(accepted).toBeGreaterThan(1000);
    expect(accepted).toBeLessThan(100_000);
    expect(s.bytes).toBeLessThanOrEqual(1024 * 1024);
    s.close();
  });

  it('skips and counts a torn last line left by a killed process', () => {
    const dir = spoolDir();
    const s = new DiskSpool({ dir, maxBytes: 1024 * 1024, segmentBytes: 1024 * 1024 });
    s.append(rec(1));
    s.append(rec(2));
    s.close();
    const seg = readdirSync(dir).find((f) => f.endsWith('.spool')) as string;
    appendFileSync(join(dir, seg), 'sentinel.events.auth\tid-3\t{"i":3');
    const again = new DiskSpool({ dir, maxBytes: 1024 * 1024, segmentBytes: 1024 * 1024 });
    const first = again.nextSegment();
    expect(first?.records.map((r) => r.id)).toEqual(['id-1', 'id-2']);
    expect(again.tornLines).toBe(1);
    again.close();
  });

  it('will not open a spool another live process holds', () => {
    const dir = spoolDir();
    const s = new DiskSpool({ dir, maxBytes: 1024 * 1024, segmentBytes: 1024 * 1024 });
    s.close();
    // The parent of this test process is alive and is not us: its lock must be respected.
    writeFileSync(join(dir, 'LOCK'), String(process.ppid));
    expect(() => new DiskSpool({ dir, maxBytes: 1024 * 1024, segmentBytes: 1024 * 1024 })).toThrow(
      /in use by process/,
    );
  });
});
