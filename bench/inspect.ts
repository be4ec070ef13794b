// npm run bench -- inspect
// Payload inspection throughput on one core with the default rules, against the same rules run as a loop
// of JavaScript regular expressions; topic ACL matching for 100,000 identities against qlobber (the
// matcher aedes uses). Every comparison runs in the same process, on the same inputs, back to back.
import { createHash } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import qlobber from 'qlobber';
import { TopicAclEngine } from '@sentinel/enforcement';
import type { SessionAcl, SessionIdentity } from '@sentinel/enforcement';
import {
  Decoder,
  DEFAULT_RULES_FILE,
  InspectionEngine,
  inspectionConfig,
  loadRuleFile,
} from '@sentinel/enforcement';
import type { SessionFacts } from '@sentinel/enforcement';
import { metric, progress } from './_report.ts';

const SUITE = 'inspect';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

// ---- inputs -------------------------------------------------------------------------------------

let seed = createHash('sha256').update('sentinel-bench').digest();
function random(): number {
  seed = createHash('sha256').update(seed).digest();
  return seed.readUInt32LE(0) / 2 ** 32;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

function telemetry(size: number): string {
  let s = `{"deviceId":"sensor-${Math.floor(random() * 1e5)}","ts":${1732190000000 + Math.floor(random() * 1e9)},"readings":[`;
  while (s.length < size - 40)
    s += `{"temp":${(random() * 40).toFixed(2)},"hum":${(random() * 100).toFixed(1)},"unit":"C"},`;
  return (s.slice(0, -1) + `],"status":"ok"}`).padEnd(size, ' ');
}
function logText(size: number): string {
  const lines = [
    `2024-11-21T20:00:01Z INFO user 'bob' logged in from 10.0.0.7; session id "abc-123"`,
    `Pump 3 running at 1450 rpm, vibration 2.1 mm/s, bearing temp 61 C`,
    `GET /api/v1/devices?id=42&page=2 HTTP/1.1 200 512 "-" "curl/8.5.0"`,
    `Temperature 21.5 C; humidity 40%; pressure 1013 hPa`,
  ];
  let s = '';
  while (s.length < size) s += pick(lines) + '\n';
  return s.slice(0, size);
}
function firmware(size: number): string {
  const parts: Buffer[] = [];
  let n = 0;
  while (n < (size * 3) / 4) {
    seed = createHash('sha256').update(seed).digest();
    parts.push(seed);
    n += 32;
  }
  return Buffer.concat(parts).toString('base64').slice(0, size);
}
const ATTACKS = [
  `' OR '1'='1`,
  `; cat /etc/passwd`,
  `<script>alert(1)</script>`,
  `%2e%2e%2f%2e%2e%2fetc%2fpasswd`,
  `1 UNION SELECT pw FROM users`,
];

/** Half 200 B, half 4 KB; telemetry, log text and base64 chunks; 1 % carry an attack. */
function corpus(n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const size = i % 2 === 0 ? 200 : 4096;
    let s = pick([telemetry, logText, firmware])(size);
    if (random() < 0.01) s = s.slice(0, size - 40) + pick(ATTACKS);
    out.push(Buffer.from(s.slice(0, size), 'utf8'));
  }
  return out;
}

interface Timing {
  /** Per CPU-second of this process (user + system): the per-core rate, whatever else runs on the machine. */
  opsPerS: number;
  bytesPerS: number;
  /** Per wall-clock second. */
  wallOpsPerS: number;
  cpuShare: number;
}

function timed(label: string, fn: () => number): Timing {
  // warm-up, then as many rounds as fit in SECONDS
  fn();
  let ops = 0;
  let bytes = 0;
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < SECONDS) {
    bytes += fn();
    ops++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  progress(SUITE, `${label}: ${ops} rounds in ${elapsed.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU`);
  return { opsPerS: ops / cpu, bytesPerS: bytes / cpu, wallOpsPerS: ops / elapsed, cpuShare: cpu / elapsed };
}

// ---- payload inspection -------------------------------------------------------------------------

function benchInspection(): void {
  const payloads = corpus(2000);
  const totalBytes = payloads.reduce((a, p) => a + p.length, 0);
  const engine = new InspectionEngine({ config: inspectionConfig({ watchRules: false }) });
  const session: SessionFacts = { sessionId: 's1', clientId: 'bench', ip: '127.0.0.1', protocolVersion: 4 };
  let flagged = 0;
  const full = timed('engine.publish (signatures + decoding + size + entropy + baselines)', () => {
    let now = 1732190000000;
    for (const p of payloads) {
      const r = engine.publish(
        session,
        { topic: 'plant/line1/telemetry', payload: p, qos: 0, retain: false, dup: false },
        (now += 1),
      );
      if (r.action !== 'allow') flagged++;
    }
    return totalBytes;
  });
  const sigOnly = timed('signatures only (one automaton pass + decoding)', () => {
    for (const p of payloads) engine.scanPayload(p, 'plant/line1/telemetry');
    return totalBytes;
  });

  // The same rules as a loop of RegExps: one per rule (its literals as alternatives, \b for boundaries),
  // run over the same raw and decoded text. Verifiers are left out, which only favours the regex loop.
  const rules = loadRuleFile(DEFAULT_RULES_FILE);
  const regexes = rules.rules.map((_r, ri) => {
    const alts = rules.literals
      .map((l, li) => ({ l, li }))
      .filter((x) => x.l.rule === ri)
      .map(({ l, li }) => {
        const text = literalText(rules, li);
        return `${l.left ? '\\b' : ''}${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${l.right ? '\\b' : ''}`;
      });
    return new RegExp(alts.join('|'), 'i');
  });
  const decoder = new Decoder();
  let regexHits = 0;
  const loop = timed('regex loop (same rules)', () => {
    for (const p of payloads) {
      const raw = p.toString('latin1');
      const dec = decoder.decode(p);
      const decoded =
        dec === undefined
          ? undefined
          : Buffer.from(dec.buffer, dec.byteOffset, dec.length).toString('latin1');
      for (const re of regexes) if (re.test(raw) || (decoded !== undefined && re.test(decoded))) regexHits++;
    }
    return totalBytes;
  });
  progress(SUITE, `engine results not allow: ${flagged}; regex hits (unverified): ${regexHits}`);
  metric(SUITE, 'inspect_mb_per_s', full.bytesPerS / 1e6, 'MB/s', {
    payloads: payloads.length,
    mix: '200B+4KB',
    per: 'cpu_second',
    cpuShare: Math.round(full.cpuShare * 100) / 100,
  });
  metric(SUITE, 'inspect_wall_mb_per_s', (full.wallOpsPerS * totalBytes) / 1e6, 'MB/s');
  metric(SUITE, 'inspect_msgs_per_s', full.opsPerS * payloads.length, 'msg/s');
  metric(SUITE, 'inspect_signatures_mb_per_s', sigOnly.bytesPerS / 1e6, 'MB/s');
  metric(SUITE, 'regex_loop_mb_per_s', loop.bytesPerS / 1e6, 'MB/s', { rules: regexes.length });
  metric(SUITE, 'inspect_ratio_vs_regex_loop', full.bytesPerS / loop.bytesPerS, 'x');
}

/** A literal's text back from the compiled rule set (folded case; hex literals as latin1). */
function literalText(rules: ReturnType<typeof loadRuleFile>, literalId: number): string {
  // Walk the automaton is overkill: recompile from the bytes kept by the literal table is not possible,
  // so the bench re-reads the folded bytes by scanning the outputs of the automaton's states.
  return literalTexts(rules)[literalId]!;
}
const textCache = new WeakMap<object, string[]>();
function literalTexts(rules: ReturnType<typeof loadRuleFile>): string[] {
  const known = textCache.get(rules);
  if (known) return known;
  const a = rules.automaton;
  const texts: string[] = new Array(rules.literals.length).fill('');
  // Breadth-first over the trie part of the DFA: a transition to a deeper state spells the next byte.
  const classBytes = new Map<number, number>();
  for (let b = 255; b >= 0; b--)
    if (a.classes[b] !== 0 && !(b >= 0x41 && b <= 0x5a)) classBytes.set(a.classes[b]!, b);
  const depth = new Int32Array(a.states).fill(-1);
  const spelled: string[] = new Array(a.states).fill('');
  depth[0] = 0;
  const queue = [0];
  for (let qi = 0; qi < queue.length; qi++) {
    const s = queue[qi]!;
    for (let c = 1; c < a.classCount; c++) {
      const raw = a.delta[s * a.classCount + c]!;
      const t = (raw < 0 ? ~raw : raw) / a.classCount;
      if (depth[t] === -1 && t !== 0) {
        const text = spelled[s] + String.fromCharCode(classBytes.get(c)!);
        // A trie child is exactly one deeper than its parent and spells parent + byte.
        if (depth[s]! + 1 === text.length) {
          depth[t] = depth[s]! + 1;
          spelled[t] = text;
          queue.push(t);
        }
      }
    }
  }
  for (let s = 0; s < a.states; s++) {
    for (let k = a.outStart[s]!; k < a.outStart[s]! + a.outCount[s]!; k++) {
      const id = a.outputs[k]!;
      if (a.lengths[id] === spelled[s]!.length) texts[id] = spelled[s]!;
    }
  }
  textCache.set(rules, texts);
  return texts;
}

// ---- topic ACLs ---------------------------------------------------------------------------------

const ACL_RULES = {
  publish: {
    allow: ['devices/%c/telemetry/#', 'devices/%c/status', 'fleet/%u/events/+'],
    deny: ['devices/%c/telemetry/secret'],
  },
  subscribe: { allow: ['devices/%c/cmd/#'] },
};
const aclIdentity = (i: number): SessionIdentity => ({
  clientId: `dev-${i}`,
  username: `user-${i % 1000}`,
  ip: '10.0.0.1',
});

/** A topic as the packet decoder hands it over: a flat string read from the PUBLISH bytes. */
const decoded = (topic: string): string => Buffer.from(topic, 'utf8').toString('utf8');

/** Heap bytes one session ACL adds (identities already held by the caller, as the node holds them). */
function aclBytesPerIdentity(n: number): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const engine = new TopicAclEngine({ defaultRules: ACL_RULES });
  const ids = Array.from({ length: n }, (_, i) => aclIdentity(i));
  engine.forSession(ids[0]!, undefined); // the shared template, built once
  const held: SessionAcl[] = new Array(n);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) held[i] = engine.forSession(ids[i]!, undefined);
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / n;
  if (held.length !== n) throw new Error('sessions lost');
  return bytes;
}

interface Probe {
  i: number;
  topic: string;
}

/**
 * Varied: a random identity, half its own topic and half another device's (a denial), three topic
 * shapes. Realistic: a random identity publishing to one of its four usual topics, 1 % to another
 * device's. Identities come in random order either way: 100,000 devices interleave.
 */
function aclProbes(
  n: number,
  N: number,
  ownShare: number,
  shapes: ((c: string, u: string) => string)[],
): Probe[] {
  const probes: Probe[] = [];
  for (let k = 0; k < n; k++) {
    const i = Math.floor(random() * N);
    const other = (i + 1 + Math.floor(random() * (N - 1))) % N;
    const who = aclIdentity(random() < ownShare ? i : other);
    probes.push({ i, topic: decoded(pick(shapes)(who.clientId, who.username!)) });
  }
  return probes;
}

function benchAcl(): void {
  const N = 100_000;
  const bytesPerIdentity = aclBytesPerIdentity(N);
  const engine = new TopicAclEngine({ defaultRules: ACL_RULES });
  const sessions: SessionAcl[] = [];
  const q = new qlobber.Qlobber({ separator: '/', wildcard_one: '+', wildcard_some: '#' });
  progress(SUITE, `compiling ACLs for ${N} identities`);
  for (let i = 0; i < N; i++) {
    const id = aclIdentity(i);
    sessions.push(engine.forSession(id, undefined));
    for (const f of ACL_RULES.publish.allow)
      q.add(f.replace('%c', id.clientId).replace('%u', id.username!), i);
  }
  const varied = aclProbes(20_000, N, 0.5, [
    (c) => `devices/${c}/telemetry/temp`,
    (c) => `devices/${c}/status`,
    (c) => `devices/${c}/telemetry/a/b`,
  ]);
  const realistic = aclProbes(20_000, N, 0.99, [
    (c) => `devices/${c}/telemetry/temp`,
    (c) => `devices/${c}/telemetry/humidity`,
    (c) => `devices/${c}/status`,
    (_c, u) => `fleet/${u}/events/alarm`,
  ]);
  const run = (label: string, probes: Probe[]): { ours: number; theirs: number } => {
    let allowedEngine = 0;
    let allowedQ = 0;
    const ours = timed(`${label}: TopicAclEngine.canPublish`, () => {
      for (const p of probes) if (sessions[p.i]!.canPublish(p.topic, false).ok) allowedEngine++;
      return 0;
    });
    const theirs = timed(`${label}: qlobber.test`, () => {
      for (const p of probes) if (q.test(p.topic, p.i)) allowedQ++;
      return 0;
    });
    progress(SUITE, `${label}: allowed in all rounds: engine ${allowedEngine}, qlobber ${allowedQ}`);
    return { ours: ours.opsPerS * probes.length, theirs: theirs.opsPerS * probes.length };
  };
  for (const [probes, label] of [
    [varied, 'varied'],
    [realistic, 'realistic'],
  ] as const) {
    const own = probes.filter((p) => sessions[p.i]!.canPublish(p.topic, false).ok).length;
    const qOwn = probes.filter((p) => q.test(p.topic, p.i)).length;
    if (own !== qOwn) throw new Error(`${label}: engine allows ${own}, qlobber ${qOwn}`);
    progress(SUITE, `${label}: ${probes.length} probes, ${own} allowed by both`);
  }
  const v = run('varied', varied);
  const r = run('realistic', realistic);
  metric(SUITE, 'acl_matches_per_s', v.ours, 'match/s', { identities: N, mix: 'varied', allowed: 0.5 });
  metric(SUITE, 'qlobber_matches_per_s', v.theirs, 'match/s', { identities: N, mix: 'varied' });
  metric(SUITE, 'acl_ratio_vs_qlobber', v.ours / v.theirs, 'x');
  metric(SUITE, 'acl_realistic_matches_per_s', r.ours, 'match/s', {
    identities: N,
    mix: 'realistic',
    allowed: 0.99,
  });
  metric(SUITE, 'qlobber_realistic_matches_per_s', r.theirs, 'match/s', { identities: N, mix: 'realistic' });
  metric(SUITE, 'acl_realistic_ratio_vs_qlobber', r.ours / r.theirs, 'x');
  metric(SUITE, 'acl_bytes_per_identity', bytesPerIdentity, 'B', { identities: N });
}

// BENCH_INSPECT_PART=acl (or payload) runs one part alone, for iterating on it.
const part = process.env.BENCH_INSPECT_PART;
if (part !== 'acl') benchInspection();
if (part !== 'payload') benchAcl();
