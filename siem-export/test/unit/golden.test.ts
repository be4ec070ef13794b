// Golden files: each formatter's output for fixed records, compared byte for byte. After an intended
// change, regenerate with SENTINEL_TEST_UPDATE_GOLDEN=1 and read the diff before committing it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMAT_KINDS, formatters } from '../../src/index.ts';
import { goldenOptions, goldenRecords } from '../fixtures.ts';

const dir = join(import.meta.dirname, '..', 'golden');
const update = process.env.SENTINEL_TEST_UPDATE_GOLDEN === '1';

describe('golden files', () => {
  for (const kind of FORMAT_KINDS) {
    it(`${kind} - the fixed records format to exactly the bytes in golden/${kind}.txt`, () => {
      const actual = goldenRecords.map((r) => formatters[kind](r, goldenOptions) + '\n').join('');
      const file = join(dir, `${kind}.txt`);
      if (update) writeFileSync(file, actual);
      expect(Buffer.from(actual, 'utf8').equals(readFileSync(file))).toBe(true);
    });
  }
});
