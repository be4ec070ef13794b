import { describe, expect, it } from 'vitest';
import { parseDelivery } from '@sentinel/ingest';

/** The simple reading of a reply subject, as the JetStream client does it, to compare against. */
function reference(reply: string): { deliveryCount: number; streamSequence: number } | undefined {
  const t = reply.split('.');
  if (t.length === 9) t.splice(2, 0, '_', '');
  if (t.length < 11 || t[0] !== '$JS' || t[1] !== 'ACK') return undefined;
  const dc = t[6] ?? '';
  const seq = t[7] ?? '';
  if (!/^\d{1,15}$/.test(dc) || !/^\d{1,15}$/.test(seq)) return undefined;
  return { deliveryCount: Number(dc), streamSequence: Number(seq) };
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('parseDelivery', () => {
  it('reads delivery count and stream sequence from both reply subject layouts', () => {
    expect(parseDelivery('$JS.ACK.SENTINEL_EVENTS.analytics.2.1234.5678.1732230000000000000.17')).toEqual({
      deliveryCount: 2,
      streamSequence: 1234,
    });
    expect(
      parseDelivery('$JS.ACK._.ACCHASH.SENTINEL_EVENTS.analytics.1.99.100.1732230000000000000.0.rnd'),
    ).toEqual({ deliveryCount: 1, streamSequence: 99 });
  });

  it('answers undefined for subjects that are not JetStream acks, so the caller falls back', () => {
    for (const s of ['', 'inbox.x', '$JS.ACK.a.b.c', '$JS.ACK.s.c.x.1.2.3.4', '$JS.ACK.s.c.1..2.3.4'])
      expect(parseDelivery(s)).toBeUndefined();
  });

  it('gives the same answers as the split-based reading for 20,000 random subjects', () => {
    const rnd = seeded(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const num = (): string =>
      pick(['0', '1', '7', String(Math.floor(rnd() * 1e6)), String(Math.floor(rnd() * 1e15)), '12a', '']);
    for (let i = 0; i < 20_000; i++) {
      const head = pick(['$JS.ACK', '$JS.ACK', '$JS.ACK', '$JS.NAK', 'x.ACK']);
      const domain = pick([[], ['_', 'HASH'], ['dom', 'H2']]);
      const tail = Array.from({ length: Math.floor(rnd() * 3) }, () => pick(['r', 'tok']));
      const s = [head, ...domain, pick(['S', 'SENTINEL_EVENTS']), pick(['c', 'analytics'])];
      s.push(num(), num(), num(), num(), num(), ...tail);
      const subject = s.join('.');
      expect(parseDelivery(subject), subject).toEqual(reference(subject));
    }
  });
});
