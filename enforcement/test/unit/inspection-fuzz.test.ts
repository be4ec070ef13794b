import { describe, expect, it } from 'vitest';
import { Decoder, InspectionEngine, inspectionConfig, safeDisplay } from '../../src/inspection/index.ts';
import type { SessionFacts } from '../../src/inspection/index.ts';

// Deterministic (xorshift32): a failure reproduces with the same seed.
let x = 0x9e3779b9;
function byte(): number {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x & 0xff;
}
const int = (n: number): number => ((byte() << 8) | byte()) % n;

const SEEDS = [
  `' OR '1'='1`,
  `%252e%252e%252f`,
  `\\u003cscript\\u003e`,
  `$(cat /etc/passwd)`,
  '`id`',
  `1; DROP TABLE x`,
  `union/**/select`,
  `{"temp":21.5,"unit":"C"}`,
  `%u002e%`,
  `\\u12`,
  `'/*`,
  `or '`,
  `%c0%ae%c0%ae/`,
];
const SPICE = [0x25, 0x5c, 0x27, 0x22, 0x2f, 0x2a, 0x3b, 0x60, 0x24, 0x28, 0x75, 0x2b, 0x00, 0xff, 0x0a];

function mutate(base: Buffer): Buffer {
  const out = Buffer.from(base);
  const edits = 1 + int(4);
  let b = out;
  for (let k = 0; k < edits; k++) {
    const op = int(4);
    const at = b.length === 0 ? 0 : int(b.length);
    if (op === 0 && b.length > 0) b[at] = byte();
    else if (op === 1)
      b = Buffer.concat([b.subarray(0, at), Buffer.from([SPICE[int(SPICE.length)]!]), b.subarray(at)]);
    else if (op === 2) b = b.subarray(0, at);
    else b = Buffer.concat([b, b.subarray(0, int(b.length + 1))]);
  }
  return b;
}

function randomPayload(): Buffer {
  const kind = int(3);
  if (kind === 0) {
    const n = int(600);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = byte();
    return b;
  }
  if (kind === 1) {
    const n = int(300);
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = SPICE[int(SPICE.length)]! ^ (int(8) === 0 ? 0x20 : 0);
    return b;
  }
  return mutate(Buffer.from(SEEDS[int(SEEDS.length)]!, 'utf8'));
}

describe('inspection fuzz', () => {
  it('100,000 random and mutated payloads never throw and always give a well-formed result', () => {
    const engine = new InspectionEngine({
      config: inspectionConfig({
        watchRules: false,
        signedTopics: [{ filter: 's/#', keys: { k: 'x' } }],
        hopId: 'me',
      }),
    });
    const decoder = new Decoder();
    const session: SessionFacts = { sessionId: 's', clientId: 'fuzz', ip: '127.0.0.1', protocolVersion: 5 };
    const actions = new Set<string>();
    const problems: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const payload = randomPayload();
      const decoded = decoder.decode(payload);
      if (decoded !== undefined && decoded.length > payload.length)
        problems.push(`decoding grew payload ${i}`);
      const r = engine.publish(
        session,
        {
          topic: i % 7 === 0 ? 's/x' : 'plant/t',
          payload,
          qos: (i % 3) as 0 | 1 | 2,
          retain: false,
          dup: false,
        },
        1_732_190_000_000 + i * 50,
      );
      actions.add(r.action);
      for (const f of r.findings) {
        if (f.rule.matched !== undefined && !/^[\x20-\x7e…]*$/.test(f.rule.matched))
          problems.push(`unsafe display ${f.rule.matched}`);
      }
      safeDisplay(payload);
    }
    expect(problems).toEqual([]);
    // the corpus does reach both clean and blocking paths
    expect(actions.has('allow')).toBe(true);
    expect(actions.has('block')).toBe(true);
  }, 120_000);
});
