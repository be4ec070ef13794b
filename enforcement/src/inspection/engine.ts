// The inspection engine: the one object the session pipeline holds. Policy code — it never sees a socket;
// it is fed facts (a CONNECT's source, an opened session, a SUBSCRIBE, a PUBLISH that passed the ACL, QoS 2
// steps) and returns a result: the strongest action, a Verdict for the session, and findings that become
// decision events. Each packet type runs an ordered list of short checks; the first blocking one ends it.
import { fileURLToPath } from 'node:url';
import { REASONS } from '@sentinel/ingest';
import type { Decision } from '@sentinel/ingest';
import { BaselineTracker, checkEntropy, checkPayloadSize, ConnectRateTracker } from './anomaly.ts';
import type { InspectionConfig } from './config.ts';
import type { Verdict } from '../policy/types.ts';
import type { RuleFileError } from './errors.ts';
import type { InspectionMetrics } from './metrics.ts';
import { RuleFileWatcher } from './reload.ts';
import type { ReloadOutcome } from './reload.ts';
import { loadRuleFile } from './rules.ts';
import type { RuleAction, RuleSet } from './rules.ts';
import { SignatureMatcher } from './signatures.ts';
import type { SignatureHit } from './signatures.ts';
import { BridgeLoopDetector } from './threats/bridge.ts';
import { EnumerationTracker } from './threats/enumeration.ts';
import { conflictFinding, LocalSessionRegistry } from './threats/identity.ts';
import type { SessionRegistry } from './threats/identity.ts';
import { QosTracker } from './threats/qos.ts';
import type { Qos2Step } from './threats/qos.ts';
import { RetainTracker } from './threats/retain.ts';
import { SignedTopicVerifier } from './threats/signed.ts';
import { ACTION_RANK, CLEAN, finding, resultOf } from './types.ts';
import type { Finding, InspectionAction, InspectionResult, PublishFacts, SessionFacts } from './types.ts';

/** The rule file shipped with Sentinel. */
export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../rules/signatures.yaml', import.meta.url));

export interface InspectionEngineOptions {
  config: InspectionConfig;
  /** Rules to start with; default: `config.rulesFile`, or the shipped file. */
  rules?: RuleSet;
  /** Live sessions for identity-spoofing checks; default: this process only. */
  registry?: SessionRegistry;
  /** This node's name (goes into the registry). */
  node?: string;
  metrics?: InspectionMetrics;
  /** A changed rule file was refused; the old rules stay. */
  onRulesRefused?: (err: RuleFileError) => void;
  onRulesReloaded?: (rules: RuleSet) => void;
}

const ACTION_OF_RULE: Record<RuleAction, InspectionAction> = {
  block: 'block',
  flag: 'flag',
  quarantine: 'quarantine',
};
const DECISION_OF_RULE: Record<RuleAction, Decision> = {
  block: 'deny',
  flag: 'flag',
  quarantine: 'quarantine',
};

type PublishCheck = (s: SessionFacts, msg: PublishFacts, now: number, out: Finding[]) => void;

export class InspectionEngine {
  readonly config: InspectionConfig;
  readonly rulesFile: string;
  readonly registry: SessionRegistry;
  private readonly node: string;
  private readonly signatures: SignatureMatcher;
  private readonly connects: ConnectRateTracker;
  private readonly baselines: BaselineTracker;
  private readonly enumeration: EnumerationTracker;
  private readonly qos: QosTracker;
  private readonly retain: RetainTracker;
  private readonly signed: SignedTopicVerifier;
  private readonly bridge: BridgeLoopDetector;
  private readonly metrics: InspectionMetrics | undefined;
  private readonly watcher: RuleFileWatcher;
  /** Findings of one check, reused: a clean PUBLISH allocates no list. */
  private readonly scratch: Finding[] = [];

  /** Ordered: cheap, decisive checks first; the first blocking finding ends the list. */
  private readonly publishChecks: readonly PublishCheck[] = [
    (_s, m, _n, out) => push(out, this.bridge.check(m)),
    (_s, m, _n, out) => push(out, this.oversized(m)),
    (_s, m, now, out) => push(out, this.signed.check(m, now)),
    (s, m, now, out) => this.retain.publish(s.clientId, m.topic, m.retain, m.acl, now, out),
    (s, m, now, out) => this.qos.publish(s.clientId, m.qos, now, out),
    (_s, m, _n, out) => this.signatureFindings(m, out),
    (_s, m, _n, out) => push(out, checkPayloadSize(m.payload.length, this.config)),
    (_s, m, _n, out) => push(out, checkEntropy(m.payload, this.config)),
    (s, m, now, out) => this.baselines.publish(s.clientId, m.payload.length, now, out),
  ];

  constructor(opts: InspectionEngineOptions) {
    const cfg = opts.config;
    this.config = cfg;
    this.rulesFile = cfg.rulesFile === '' ? DEFAULT_RULES_FILE : cfg.rulesFile;
    this.node = opts.node ?? 'local';
    this.registry = opts.registry ?? new LocalSessionRegistry();
    this.metrics = opts.metrics;
    this.signatures = new SignatureMatcher(opts.rules ?? loadRuleFile(this.rulesFile), cfg.decodeRounds);
    this.connects = new ConnectRateTracker(cfg);
    this.baselines = new BaselineTracker(cfg);
    this.enumeration = new EnumerationTracker(cfg);
    this.qos = new QosTracker(cfg);
    this.retain = new RetainTracker(cfg);
    this.signed = new SignedTopicVerifier(cfg);
    this.bridge = new BridgeLoopDetector(cfg);
    this.countFrom(this.signatures.rules);
    this.watcher = new RuleFileWatcher({
      file: this.rulesFile,
      debounceMs: cfg.reloadDebounceMs,
      apply: (rules) => {
        this.setRules(rules);
        this.metrics?.reloads.inc({ result: 'ok' });
        opts.onRulesReloaded?.(rules);
      },
      onRefused: (err) => {
        this.metrics?.reloads.inc({ result: 'refused' });
        opts.onRulesRefused?.(err);
      },
    });
  }

  /** Start watching the rule file (when `watchRules`). */
  start(): void {
    if (this.config.enabled && this.config.watchRules) this.watcher.start();
  }

  close(): void {
    this.watcher.close();
  }

  get rules(): RuleSet {
    return this.signatures.rules;
  }

  /** Swap the rule set atomically (live sessions are untouched). */
  setRules(rules: RuleSet): void {
    this.signatures.setRules(rules);
    this.countFrom(rules);
  }

  /**
   * Each rule's findings series starts at 0: a counter born at its first increment hides that
   * increment from rate(), so the first injection payload would never show on a dashboard.
   */
  private countFrom(rules: RuleSet): void {
    const m = this.metrics;
    if (!m) return;
    m.rulesLoaded.set(rules.rules.length);
    for (const r of rules.rules) m.findings.inc({ reason: r.reason, action: ACTION_OF_RULE[r.action] }, 0);
  }

  /** Re-read the rule file now; a bad file is refused and the old rules stay. */
  reloadRules(): Promise<ReloadOutcome> {
    return this.watcher.reload();
  }

  /** A CONNECT arrived from `ip` (before authentication): connection rate and CONNECT flood. */
  connectAttempt(ip: string, now: number): InspectionResult {
    if (!this.config.enabled) return CLEAN;
    return this.done(collect(this.connects.connect(ip, now)));
  }

  /** The session was authenticated: stolen client id / cloned certificate, else it is registered as live. */
  sessionOpened(s: SessionFacts, now: number): InspectionResult {
    if (!this.config.enabled) return CLEAN;
    const live = {
      sessionId: s.sessionId,
      clientId: s.clientId,
      ip: s.ip,
      node: this.node,
      since: now,
      ...(s.certFingerprint !== undefined ? { certFingerprint: s.certFingerprint } : {}),
    };
    const conflict = this.registry.claim(live, {
      clientId: this.config.detectStolenClientId,
      certificate: this.config.detectClonedCertificate,
    });
    return this.done(conflict ? [conflictFinding(live, conflict)] : []);
  }

  /** The session ended (any reason): it is no longer live; its QoS 2 state is dropped. */
  sessionClosed(s: SessionFacts): void {
    this.registry.release(s.sessionId);
    this.qos.forget(s.clientId);
  }

  /** A SUBSCRIBE's filters (after the ACL): topic enumeration. */
  subscribe(s: SessionFacts, filters: readonly string[], now: number): InspectionResult {
    if (!this.config.enabled) return CLEAN;
    const out: Finding[] = [];
    this.enumeration.subscribe(s.clientId, filters, now, out);
    return this.done(out);
  }

  /** A PUBLISH from the client that passed protocol checks, rate limits and the ACL. */
  publish(s: SessionFacts, msg: PublishFacts, now: number): InspectionResult {
    if (!this.config.enabled) return CLEAN;
    this.metrics?.inspected.inc();
    this.metrics?.inspectedBytes.inc(msg.payload.length);
    let out: Finding[] | undefined;
    const scratch = this.scratch;
    scratch.length = 0;
    for (const check of this.publishChecks) {
      check(s, msg, now, scratch);
      if (scratch.length === 0) continue;
      out = out ? out.concat(scratch) : scratch.slice();
      const strongest = scratch.reduce((a, f) => Math.max(a, ACTION_RANK[f.action]), 0);
      scratch.length = 0;
      if (strongest >= ACTION_RANK.drop) break;
    }
    return out ? this.done(out) : CLEAN;
  }

  /**
   * A PUBLISH the ACL refused (the pipeline stops there, before `publish`): only retain abuse is judged,
   * from the ACL's verdict.
   */
  publishDenied(s: SessionFacts, msg: PublishFacts, acl: Verdict, now: number): InspectionResult {
    if (!this.config.enabled) return CLEAN;
    const out: Finding[] = [];
    this.retain.publish(s.clientId, msg.topic, msg.retain, acl, now, out);
    return this.done(out);
  }

  /** The pipeline's PublishInspector name for `publish`. */
  inspect(s: SessionFacts, msg: PublishFacts, now: number): InspectionResult {
    return this.publish(s, msg, now);
  }

  /** QoS 2 flow steps from the client: PUBREC (for a delivery), PUBREL (for its own PUBLISH), or a DUP PUBLISH. */
  qos2(s: SessionFacts, step: Qos2Step, packetId: number, now: number): InspectionResult {
    if (!this.config.enabled) return CLEAN;
    const out: Finding[] = [];
    this.qos.qos2(s.clientId, step, packetId, now, out);
    return this.done(out);
  }

  /** PUBCOMP for `packetId`: the QoS 2 flow finished. */
  qos2Completed(s: SessionFacts, packetId: number): void {
    this.qos.completed(s.clientId, packetId);
  }

  /** Signature scan alone (what the benchmark measures): every rule hit for this payload and topic. */
  scanPayload(payload: Uint8Array, topic: string): readonly SignatureHit[] {
    return this.signatures.match(payload, topic);
  }

  private oversized(m: PublishFacts): Finding | undefined {
    const size = m.payload.length;
    if (size <= this.config.maxPublishBytes) return undefined;
    return finding(
      'threat.oversized_publish',
      'deny',
      'block',
      REASONS['threat.oversized_publish'].severity,
      {
        id: 'threat.oversized_publish',
        name: 'PUBLISH above the size limit',
        technique: 'T1499',
        values: { size, limit: this.config.maxPublishBytes },
      },
      `PUBLISH of ${size} bytes is over the ${this.config.maxPublishBytes}-byte limit: refused`,
    );
  }

  private signatureFindings(m: PublishFacts, out: Finding[]): void {
    const hits = this.signatures.match(m.payload, m.topic);
    for (const h of hits) {
      const r = h.rule;
      out.push(
        finding(
          r.reason,
          DECISION_OF_RULE[r.action],
          ACTION_OF_RULE[r.action],
          r.severity,
          {
            id: r.id,
            name: r.name,
            technique: r.technique,
            matched: h.matched,
            values: { offset: h.offset, decoded: h.decoded, size: m.payload.length, category: r.category },
          },
          `signature ${r.id} (${r.name}) matched at byte ${h.offset}${h.decoded ? ' of the decoded payload' : ''}`,
        ),
      );
    }
  }

  private done(findings: Finding[]): InspectionResult {
    if (findings.length === 0) return CLEAN;
    if (this.metrics)
      for (const f of findings) this.metrics.findings.inc({ reason: f.reason, action: f.action });
    return resultOf(findings);
  }
}

function push(out: Finding[], f: Finding | undefined): void {
  if (f !== undefined) out.push(f);
}

function collect(f: Finding | undefined): Finding[] {
  return f === undefined ? [] : [f];
}
