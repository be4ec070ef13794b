import { describe, expect, it } from 'vitest';
import { isUlid, ulid, ulidTime } from '@sentinel/ingest';

describe('ulid', () => {
  it('ids made in one process are unique and strictly increasing, even within one millisecond', () => {
    const ids = Array.from({ length: 50_000 }, () => ulid(1_700_000_000_000));
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('carries its millisecond timestamp and sorts by time', () => {
    const a = ulid(1_700_000_000_000);
    const b = ulid(1_700_000_000_001);
    expect(isUlid(a)).toBe(true);
    expect(ulidTime(a)).toBe(1_700_000_000_000);
    expect(a < b).toBe(true);
  });

  it('never goes backwards when the clock does', () => {
    const a = ulid(1_800_000_000_000);
    const b = ulid(1_799_999_999_000);
    expect(b > a).toBe(true);
  });
});
