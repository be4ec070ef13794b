// Monotonic ULIDs: 48-bit millisecond time + 80 random bits, Crockford base32, 26 characters.
// Sorted as strings they sort by time; within one millisecond they increase (the random part is
// incremented), so ids made by one process are strictly ordered.
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_POOL = Buffer.alloc(4096);
let poolOffset = RANDOM_POOL.length;

let lastTime = -1;
const lastRandom = new Uint8Array(16); // 80 bits used as 16 base32 digits (5 bits each)

function refillRandom(): void {
  if (poolOffset + 16 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    poolOffset = 0;
  }
  for (let i = 0; i < 16; i++) lastRandom[i] = (RANDOM_POOL[poolOffset + i] ?? 0) & 31;
  poolOffset += 16;
}

function incrementRandom(): void {
  for (let i = 15; i >= 0; i--) {
    const v = (lastRandom[i] ?? 0) + 1;
    if (v < 32) {
      lastRandom[i] = v;
      return;
    }
    lastRandom[i] = 0;
  }
  // 80 bits overflowed within one millisecond: practically impossible; move to a fresh random.
  refillRandom();
}

export function ulid(now: number = Date.now()): string {
  if (now <= lastTime) {
    incrementRandom();
    now = lastTime;
  } else {
    lastTime = now;
    refillRandom();
  }
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let rand = '';
  for (let i = 0; i < 16; i++) rand += ALPHABET[lastRandom[i] ?? 0];
  return time + rand;
}

const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

export function isUlid(s: string): boolean {
  return ULID_RE.test(s);
}

/** The millisecond timestamp a ULID carries. */
export function ulidTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(id[i] ?? '0');
  return t;
}
