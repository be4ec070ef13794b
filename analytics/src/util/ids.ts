// Deterministic ULIDs: the time part from a timestamp, the 80 "random" bits from a hash of the content.
// Incidents, their updates and ban decisions get ids this way, so a replay of the log produces the same
// ids, and JetStream's duplicate window and the ReplacingMergeTree tables drop repeats.
import { createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function stableUlid(ts: number, seed: string): string {
  let time = '';
  let t = Math.max(0, Math.floor(ts));
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const digest = createHash('sha256').update(seed).digest();
  let rand = '';
  // 16 base32 digits from the first 10 bytes (80 bits)
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | (digest[i] ?? 0);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      rand += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return time + rand;
}
