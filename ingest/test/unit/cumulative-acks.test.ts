import { describe, expect, it } from 'vitest';
import { CumulativeAcks } from '@sentinel/ingest';

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('cumulative acks', () => {
  it('never acknowledges a sequence while a record at or below it is unfinished (random schedules)', () => {
    for (let round = 0; round < 300; round++) {
      const rnd = seeded(round + 1);
      const acked: number[] = [];
      const acks = new CumulativeAcks<{ ack(): void }>();
      const open = new Map<number, number>(); // the model: copies in hand per sequence
      const inHand: number[] = [];
      let next = 1;
      for (let step = 0; step < 200; step++) {
        const r = rnd();
        if (r < 0.45) {
          // a new delivery, or now and then a redelivered copy of a lower sequence
          const seq = next > 1 && rnd() < 0.15 ? 1 + Math.floor(rnd() * (next - 1)) : next++;
          acks.received(seq);
          open.set(seq, (open.get(seq) ?? 0) + 1);
          inHand.push(seq);
        } else if (r < 0.9 && inHand.length > 0) {
          const [seq] = inHand.splice(Math.floor(rnd() * inHand.length), 1) as [number];
          acks.finished(seq, { ack: () => acked.push(seq) });
          const n = (open.get(seq) ?? 1) - 1;
          if (n === 0) open.delete(seq);
          else open.set(seq, n);
        } else {
          const before = acked.length;
          acks.flush();
          if (acked.length > before) {
            const s = acked[acked.length - 1] as number;
            for (const o of open.keys()) expect(o > s, `acked ${s} while ${o} is open`).toBe(true);
          }
        }
      }
      for (const seq of inHand.splice(0)) acks.finished(seq, { ack: () => acked.push(seq) });
      acks.flush();
      // once everything is finished, the highest sequence is covered (a lower ack after it is a no-op)
      if (next > 1) expect(Math.max(...acked)).toBe(next - 1);
      expect(acks.held()).toBe(0);
    }
  });

  it("holds every ack until as many of a previous reader's sequences as were pending are finished", () => {
    const acked: number[] = [];
    const msg = (seq: number) => ({ ack: () => acked.push(seq) });
    const acks = new CumulativeAcks<ReturnType<typeof msg>>({ floor: 100, upTo: 150, count: 3 });
    for (const s of [151, 152]) acks.received(s);
    acks.finished(151, msg(151));
    acks.finished(152, msg(152));
    expect(acks.flush()).toBe(false);
    for (const s of [120, 130]) {
      acks.received(s);
      acks.finished(s, msg(s));
    }
    expect(acks.flush()).toBe(false);
    expect(acks.holding).toBe(true);
    acks.received(140);
    acks.finished(140, msg(140));
    expect(acks.holding).toBe(false);
    expect(acks.flush()).toBe(true);
    expect(acked).toEqual([152]);
  });

  it('counts what it holds so that a server count no higher lifts the hold', () => {
    const acks = new CumulativeAcks<{ ack(): void }>({ floor: 0, upTo: 10, count: 2 });
    acks.received(11);
    acks.received(12);
    acks.finished(11, { ack: () => undefined });
    acks.received(11); // a redelivered copy of a finished record counts once
    expect(acks.held()).toBe(2);
    acks.liftHold();
    expect(acks.flush()).toBe(false); // 11 is in hand again
  });
});
