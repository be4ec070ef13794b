// Ban length for the n-th offense: base × factor^(n−1), capped at maxS, plus up to jitterS random
// seconds (the shape of an incremental ban time with a random addition, so a botnet's bans do not all
// expire in the same second).
import type { BanPolicy } from '../config.ts';

export function banDurationS(policy: BanPolicy, offense: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(offense));
  const scaled = policy.baseS * policy.factor ** (n - 1);
  const capped = Math.min(policy.maxS, Number.isFinite(scaled) ? scaled : policy.maxS);
  return Math.round(capped) + Math.floor(random() * (policy.jitterS + 1));
}
