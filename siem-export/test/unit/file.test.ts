// File rotation by size, by age, and the cap on kept files, on a real temporary folder.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RotatingFile } from '../../src/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'sentinel-export-file-'));
  dirs.push(d);
  return d;
}

describe('rotating NDJSON file', () => {
  it('file - rotates by size, keeps only maxFiles rotated files, and loses no line', async () => {
    const dir = scratch();
    const path = join(dir, 'out.ndjson');
    const f = new RotatingFile({ path, maxBytes: 1024, maxAgeS: 0, maxFiles: 3 });
    const line = (i: number): string => JSON.stringify({ i, pad: 'x'.repeat(80) }) + '\n';
    for (let i = 0; i < 100; i++) await f.append(line(i));
    await f.close();
    const files = readdirSync(dir);
    expect(files.filter((n) => n !== 'out.ndjson')).toHaveLength(3);
    for (const n of files) expect(readFileSync(join(dir, n)).length).toBeLessThanOrEqual(1024);
    const current = readFileSync(path, 'utf8').trim().split('\n');
    expect(JSON.parse(current.at(-1) ?? '{}')).toMatchObject({ i: 99 });
  });

  it('file - rotates by age', async () => {
    const dir = scratch();
    let now = 1_000_000;
    const f = new RotatingFile(
      { path: join(dir, 'a.ndjson'), maxBytes: 1 << 20, maxAgeS: 60, maxFiles: 5 },
      () => now,
    );
    await f.append('{"n":1}\n');
    now += 59_000;
    await f.append('{"n":2}\n');
    expect(readdirSync(dir)).toHaveLength(1);
    now += 2_000;
    await f.append('{"n":3}\n');
    await f.close();
    expect(readdirSync(dir)).toHaveLength(2);
    expect(readFileSync(join(dir, 'a.ndjson'), 'utf8')).toBe('{"n":3}\n');
  });
});
