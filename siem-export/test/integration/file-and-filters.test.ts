// The file sink, the per-sink filters and the durable position: a sink that is stopped and started
// again resumes where it stopped (nothing missing, nothing twice), and each filter passes only what it
// should — checked on NDJSON files read back line by line.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkRunner } from '../../src/index.ts';
import {
  publishEvents,
  publishIncident,
  sinkConfig,
  startKit,
  testEvent,
  testIncident,
  waitFor,
} from './kit.ts';
import type { Kit } from './kit.ts';

function ids(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => (JSON.parse(l) as { id: string }).id);
}

describe('file sink, filters and resume', () => {
  let kit: Kit;
  beforeAll(async () => {
    kit = await startKit('file');
  });
  afterAll(async () => {
    await kit?.close();
  });

  it('resume - a sink stopped and started again continues from its own position, nothing missing or twice', async () => {
    const path = join(kit.dir, 'resume.ndjson');
    const cfg = sinkConfig({
      name: 'resume',
      kind: 'file',
      format: 'json',
      path,
      filters: { source: 'events' },
      delivery: { deliver: 'new' },
    });
    let runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log });
    await runner.start();
    const first = Array.from({ length: 150 }, (_, i) => testEvent(i, 'resume'));
    await publishEvents(kit.publisher, first);
    await waitFor('first 150 in the file', () => ids(path).length >= 150);
    await runner.stop();
    const second = Array.from({ length: 150 }, (_, i) => testEvent(150 + i, 'resume'));
    await publishEvents(kit.publisher, second);
    await new Promise((r) => setTimeout(r, 300));
    expect(ids(path)).toHaveLength(150);
    runner = new SinkRunner({ nc: kit.nc, cfg, log: kit.log });
    await runner.start();
    try {
      await waitFor('all 300 in the file', () => ids(path).length >= 300);
      await new Promise((r) => setTimeout(r, 300));
      expect(ids(path)).toEqual([...first, ...second].map((e) => e.id));
    } finally {
      await runner.stop();
    }
  });

  it('filters - minimum severity, kinds and incidents-only each pass exactly the matching records', async () => {
    const paths = {
      sev: join(kit.dir, 'sev.ndjson'),
      kinds: join(kit.dir, 'kinds.ndjson'),
      inc: join(kit.dir, 'inc.ndjson'),
    };
    const runners = [
      sinkConfig({
        name: 'f_sev',
        kind: 'file',
        format: 'json',
        path: paths.sev,
        filters: { minSeverity: 5 },
        delivery: { deliver: 'new' },
      }),
      sinkConfig({
        name: 'f_kinds',
        kind: 'file',
        format: 'json',
        path: paths.kinds,
        filters: { kinds: ['auth', 'acl'], source: 'events' },
        delivery: { deliver: 'new' },
      }),
      sinkConfig({
        name: 'f_inc',
        kind: 'file',
        format: 'json',
        path: paths.inc,
        filters: { source: 'incidents' },
        delivery: { deliver: 'new' },
      }),
    ].map((cfg) => new SinkRunner({ nc: kit.nc, cfg, log: kit.log }));
    await Promise.all(runners.map((r) => r.start()));
    try {
      const events = Array.from({ length: 100 }, (_, i) => testEvent(i, 'filters'));
      const incidents = Array.from({ length: 4 }, (_, i) => testIncident(i));
      for (const inc of incidents) publishIncident(kit.publisher, inc);
      await publishEvents(kit.publisher, events);
      const wantSev = [
        ...events.filter((e) => e.severity >= 5).map((e) => e.id),
        ...incidents.map((i) => i.id),
      ];
      const wantKinds = events.filter((e) => e.kind === 'auth' || e.kind === 'acl').map((e) => e.id);
      const wantInc = incidents.map((i) => i.id);
      await waitFor(
        'filtered files complete',
        () =>
          ids(paths.sev).length >= wantSev.length &&
          ids(paths.kinds).length >= wantKinds.length &&
          ids(paths.inc).length >= wantInc.length,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(new Set(ids(paths.sev))).toEqual(new Set(wantSev));
      expect(ids(paths.sev)).toHaveLength(wantSev.length);
      expect(ids(paths.kinds)).toEqual(wantKinds);
      expect(ids(paths.inc)).toEqual(wantInc);
      expect(wantKinds.length).toBeGreaterThan(0);
      expect(wantKinds.length).toBeLessThan(events.length);
    } finally {
      await Promise.all(runners.map((r) => r.stop()));
    }
  });
});
