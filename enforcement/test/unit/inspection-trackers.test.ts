import { createHash, createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BoundedMap,
  InspectionEngine,
  inspectionConfig,
  NonceMemory,
  shannonEntropy,
  signedData,
  stampHop,
} from '../../src/inspection/index.ts';
import type { InspectionConfig, PublishFacts, SessionFacts } from '../../src/inspection/index.ts';

/** Deterministic high-entropy bytes (SHA-256 in counter mode). */
function seededBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, block = 0; i < n; block++) {
    i += createHash('sha256').update(`${seed}:${block}`).digest().copy(out, i);
  }
  return out;
}

const T0 = 1_732_190_000_000;
const session = (over: Partial<SessionFacts> = {}): SessionFacts => ({
  sessionId: 's1',
  clientId: 'dev-1',
  ip: '10.0.0.1',
  protocolVersion: 5,
  ...over,
});
const msg = (over: Partial<PublishFacts> = {}): PublishFacts => ({
  topic: 'plant/line1/telemetry',
  payload: Buffer.from('{"temp":21.5}'),
  qos: 0,
  retain: false,
  dup: false,
  ...over,
});
const engine = (cfg: Parameters<typeof inspectionConfig>[0] = {}) =>
  new InspectionEngine({ config: inspectionConfig({ watchRules: false, ...cfg }) });

describe('payload anomalies', () => {
  it('a payload over the size limit is quarantined and flagged with size and limit', () => {
    const r = engine({ maxPayloadBytes: 1000 }).publish(
      session(),
      msg({ payload: Buffer.alloc(1001, 0x61) }),
      T0,
    );
    expect(r.action).toBe('quarantine');
    expect(r.verdict.ok).toBe(false);
    expect(r.findings[0]).toMatchObject({
      reason: 'anomaly.payload_size',
      decision: 'quarantine',
      rule: { values: { size: 1001, limit: 1000 } },
    });
  });

  it('a PUBLISH above the hard limit is refused as oversized', () => {
    const r = engine({ maxPublishBytes: 2000 }).publish(session(), msg({ payload: Buffer.alloc(2001) }), T0);
    expect(r.action).toBe('block');
    expect(r.findings[0]?.reason).toBe('threat.oversized_publish');
  });

  it('random bytes are flagged for entropy; text and short payloads are not', () => {
    const e = engine();
    // Seeded, not random: truly random bytes now and then spell a signature and are blocked instead.
    const rnd = seededBytes(4096, 1);
    expect(shannonEntropy(rnd)).toBeGreaterThan(7.5);
    const r = e.publish(session(), msg({ payload: rnd }), T0);
    expect(r.action).toBe('flag');
    expect(r.verdict.ok).toBe(true);
    expect(r.findings.map((f) => f.reason)).toEqual(['anomaly.entropy']);
    expect(e.publish(session(), msg({ payload: seededBytes(200, 2) }), T0).action).toBe('allow');
    expect(
      e.publish(session(), msg({ payload: Buffer.from(seededBytes(3000, 3).toString('base64')) }), T0).action,
    ).toBe('allow');
  });

  it('connection rate over the limit is refused and flagged once a second; sustained, it is a CONNECT flood', () => {
    const e = engine({ connectRatePerS: 10, connectFloodSeconds: 3 });
    for (let i = 0; i < 10; i++) expect(e.connectAttempt('10.9.9.9', T0 + i).action).toBe('allow');
    const over = e.connectAttempt('10.9.9.9', T0 + 20);
    expect(over).toMatchObject({
      action: 'block',
      verdict: { ok: false, reason: 'anomaly.connect_rate' },
      findings: [
        { reason: 'anomaly.connect_rate', decision: 'flag', rule: { values: { rate: 11, limit: 10 } } },
      ],
    });
    // refused again in the same second, but not reported again
    expect(e.connectAttempt('10.9.9.9', T0 + 21)).toMatchObject({ action: 'block', findings: [] });
    expect(e.connectAttempt('10.9.9.8', T0 + 20).action).toBe('allow');
    const reported: string[] = [];
    for (let s = 1; s <= 2; s++) {
      for (let i = 0; i < 12; i++) {
        const r = e.connectAttempt('10.9.9.9', T0 + s * 1000 + i);
        reported.push(...r.findings.map((f) => f.reason));
      }
    }
    expect(reported).toEqual(['anomaly.connect_rate', 'threat.connect_flood']);
  });

  it('per-client baselines flag a size jump and a rate jump only after warm-up', () => {
    const e = engine({
      baselineWarmup: 10,
      baselineMinSizeBytes: 100,
      baselineSizeFactor: 4,
      baselineMinRatePerS: 5,
      baselineRateFactor: 5,
    });
    const s = session();
    const big = Buffer.alloc(2000, 0x61);
    expect(e.publish(s, msg({ payload: big }), T0).action).toBe('allow');
    let now = T0 + 1000;
    for (let i = 0; i < 20; i++) expect(e.publish(s, msg(), (now += 1000)).action).toBe('allow');
    const jump = e.publish(s, msg({ payload: big }), (now += 1000));
    expect(jump.findings.map((f) => f.reason)).toEqual(['anomaly.baseline_size']);
    now += 1000;
    const reasons: string[] = [];
    for (let i = 0; i < 30; i++) reasons.push(...e.publish(s, msg(), now + i).findings.map((f) => f.reason));
    expect(reasons).toEqual(['anomaly.baseline_rate']);
  });
});

describe('MQTT threat trackers', () => {
  it('subscriptions to #, +/# and $SYS/# are topic enumeration', () => {
    const e = engine();
    for (const f of ['#', '+/#', '$SYS/#']) {
      const r = e.subscribe(session(), ['a/b', f], T0);
      expect(r.action).toBe('block');
      expect(r.findings[0]).toMatchObject({ reason: 'threat.topic_enumeration', rule: { matched: f } });
    }
    expect(e.subscribe(session(), ['devices/dev-1/cmd/#'], T0).action).toBe('allow');
  });

  it('many distinct filters in the window are enumeration; the same filters again are not', () => {
    const e = engine({ enumerationMaxFilters: 5, enumerationWindowS: 10 });
    for (let i = 0; i < 5; i++) expect(e.subscribe(session(), [`a/${i}`], T0 + i).action).toBe('allow');
    expect(e.subscribe(session(), ['a/0', 'a/1'], T0 + 10).action).toBe('allow');
    expect(e.subscribe(session(), ['a/5'], T0 + 11).findings[0]?.rule.id).toBe(
      'threat.topic_enumeration.distinct_filters',
    );
    expect(e.subscribe(session({ clientId: 'other' }), ['a/5'], T0 + 11).action).toBe('allow');
    expect(e.subscribe(session(), ['a/6'], T0 + 60_000).action).toBe('allow');
  });

  it('a QoS 1/2 flood is dropped, reported once per second; QoS 0 does not count', () => {
    const e = engine({ qosFloodPerS: 5 });
    for (let i = 0; i < 20; i++) expect(e.publish(session(), msg({ qos: 0 }), T0 + i).action).toBe('allow');
    for (let i = 0; i < 5; i++) expect(e.publish(session(), msg({ qos: 1 }), T0 + i).action).toBe('allow');
    expect(e.publish(session(), msg({ qos: 2 }), T0 + 6)).toMatchObject({
      action: 'drop',
      findings: [{ reason: 'threat.qos_flood' }],
    });
    // further drops in the same second are not reported again, but still dropped
    const again = e.publish(session(), msg({ qos: 1 }), T0 + 7);
    expect(again).toMatchObject({ action: 'drop', verdict: { ok: false, reason: 'threat.qos_flood' } });
    expect(again.findings).toEqual([]);
    // a second later the window has slid: the next flood is reported again
    for (let i = 0; i < 5; i++)
      expect(e.publish(session(), msg({ qos: 1 }), T0 + 1500 + i).action).toBe('allow');
    expect(e.publish(session(), msg({ qos: 1 }), T0 + 1506).findings).toHaveLength(1);
  });

  it('repeated PUBREL for one packet id is a QoS 2 loop; a completed flow resets it', () => {
    const e = engine({ qos2LoopRepeats: 3 });
    const s = session();
    for (let i = 0; i < 3; i++) expect(e.qos2(s, 'pubrel', 7, T0 + i).action).toBe('allow');
    e.qos2Completed(s, 7);
    for (let i = 0; i < 3; i++) expect(e.qos2(s, 'pubrel', 7, T0 + i).action).toBe('allow');
    expect(e.qos2(s, 'pubrel', 7, T0 + 5)).toMatchObject({
      action: 'disconnect',
      findings: [{ reason: 'threat.qos2_loop', rule: { values: { packetId: 7, step: 'pubrel' } } }],
    });
    expect(e.qos2(s, 'dup', 8, T0).action).toBe('allow');
  });

  it('a retained PUBLISH the ACL forbids is retain abuse; repeated, the session is disconnected', () => {
    const e = engine({ retainAbuseDisconnectAfter: 3 });
    const denied = { ok: false as const, reason: 'acl.retain_denied' as const };
    expect(e.publish(session(), msg({ retain: true, acl: { ok: true } }), T0).action).toBe('allow');
    expect(e.publish(session(), msg({ retain: true, acl: denied }), T0).findings[0]?.reason).toBe(
      'threat.retain_abuse',
    );
    expect(e.publish(session(), msg({ retain: true, acl: denied }), T0 + 1).action).toBe('block');
    expect(e.publish(session(), msg({ retain: true, acl: denied }), T0 + 2).action).toBe('disconnect');
  });

  it('a retained PUBLISH refused by the ACL is judged for retain abuse alone (publishDenied)', () => {
    const e = engine({ retainAbuseDisconnectAfter: 2 });
    const denied = { ok: false as const, reason: 'acl.retain_denied' as const };
    const attack = msg({ retain: true, payload: Buffer.from("' OR '1'='1") });
    expect(e.publishDenied(session(), attack, denied, T0).findings.map((f) => f.reason)).toEqual([
      'threat.retain_abuse',
    ]);
    expect(e.publishDenied(session(), attack, denied, T0 + 1).action).toBe('disconnect');
    expect(e.publishDenied(session(), msg(), { ok: false, reason: 'acl.publish_denied' }, T0).action).toBe(
      'allow',
    );
  });

  it('a connected client id arriving from a second IP or certificate is a stolen client id', () => {
    const e = engine();
    expect(e.sessionOpened(session({ sessionId: 'a', certFingerprint: 'f1' }), T0).action).toBe('allow');
    expect(
      e.sessionOpened(session({ sessionId: 'b', ip: '10.0.0.2', certFingerprint: 'f1' }), T0).findings[0]
        ?.rule.id,
    ).toBe('threat.stolen_client_id.ip');
    expect(e.sessionOpened(session({ sessionId: 'c', certFingerprint: 'f2' }), T0).findings[0]?.rule.id).toBe(
      'threat.stolen_client_id.certificate',
    );
    // the same device reconnecting from the same place is a session takeover, not theft
    expect(e.sessionOpened(session({ sessionId: 'd', certFingerprint: 'f1' }), T0).action).toBe('allow');
    e.sessionClosed(session({ sessionId: 'd' }));
    expect(e.registry.size()).toBe(0);
    expect(e.sessionOpened(session({ sessionId: 'e', ip: '10.0.0.2' }), T0).action).toBe('allow');
  });

  it('one certificate live from two IPs is a cloned certificate', () => {
    const e = engine();
    expect(
      e.sessionOpened(session({ sessionId: 'a', clientId: 'x', certFingerprint: 'ff' }), T0).action,
    ).toBe('allow');
    const r = e.sessionOpened(
      session({ sessionId: 'b', clientId: 'y', ip: '10.0.0.9', certFingerprint: 'ff' }),
      T0,
    );
    expect(r.findings[0]).toMatchObject({
      reason: 'threat.cloned_certificate',
      rule: { values: { liveIp: '10.0.0.1', newIp: '10.0.0.9' } },
    });
    expect(
      e.sessionOpened(session({ sessionId: 'c', clientId: 'z', certFingerprint: 'ff' }), T0).action,
    ).toBe('allow');
  });

  it('a message carrying our own hop marker is a bridge loop (user property or envelope)', () => {
    const e = engine({ hopId: 'site-a' });
    expect(e.publish(session(), msg({ userProperties: stampHop(undefined, 'site-b') }), T0).action).toBe(
      'allow',
    );
    expect(
      e.publish(session(), msg({ userProperties: stampHop(stampHop(undefined, 'site-b'), 'site-a') }), T0),
    ).toMatchObject({
      action: 'drop',
      findings: [{ reason: 'threat.bridge_loop', rule: { values: { carrier: 'user_property' } } }],
    });
    const env = Buffer.from(JSON.stringify({ 'sentinel-hop': ['site-b', 'site-a'], payload: 'x' }));
    expect(
      e.publish(session({ protocolVersion: 4 }), msg({ payload: env }), T0).findings[0]?.rule.values?.carrier,
    ).toBe('envelope');
  });
});

describe('signed topics', () => {
  const secret = 'k3y-material-for-tests';
  const cfg: Parameters<typeof inspectionConfig>[0] = {
    signedTopics: [{ filter: 'plant/+/cmd/#', keys: { k1: secret }, windowS: 60 }],
  };
  const signedMsg = (
    nonce: string,
    ts: number,
    payload = Buffer.from('{"open":true}'),
    key = secret,
  ): PublishFacts => {
    const sig = createHmac('sha256', key)
      .update(signedData('plant/a/cmd/valve', ts, nonce, payload))
      .digest('base64');
    return msg({
      topic: 'plant/a/cmd/valve',
      payload,
      userProperties: {
        'sentinel-kid': 'k1',
        'sentinel-ts': String(ts),
        'sentinel-nonce': nonce,
        'sentinel-sig': sig,
      },
    });
  };

  it('a good HMAC passes; a tampered payload, a wrong key or no signature is blocked', () => {
    const e = engine(cfg);
    expect(e.publish(session(), signedMsg('n1', T0), T0).action).toBe('allow');
    const tampered = { ...signedMsg('n2', T0), payload: Buffer.from('{"open":false}') };
    expect(e.publish(session(), tampered, T0).findings[0]?.rule.id).toBe('threat.bad_signature.mismatch');
    expect(e.publish(session(), signedMsg('n3', T0, undefined, 'wrong'), T0).findings[0]?.reason).toBe(
      'threat.bad_signature',
    );
    expect(e.publish(session(), msg({ topic: 'plant/a/cmd/valve' }), T0).findings[0]?.rule.id).toBe(
      'threat.bad_signature.missing',
    );
    expect(e.publish(session(), msg({ topic: 'plant/a/telemetry' }), T0).action).toBe('allow');
  });

  it('a nonce seen again, or a timestamp outside the window, is a replay', () => {
    const e = engine(cfg);
    expect(e.publish(session(), signedMsg('n1', T0), T0).action).toBe('allow');
    expect(e.publish(session(), signedMsg('n1', T0), T0 + 5).findings[0]?.rule.id).toBe(
      'threat.replay.nonce_seen',
    );
    expect(e.publish(session(), signedMsg('n9', T0 - 61_000), T0).findings[0]?.rule.id).toBe(
      'threat.replay.stale_timestamp',
    );
    expect(e.publish(session(), signedMsg('n8', T0 + 120_000), T0).findings[0]?.rule.id).toBe(
      'threat.replay.future_timestamp',
    );
  });

  it('a 3.1.1 JSON envelope signed with Ed25519 verifies; a replay of it is blocked', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const e = engine({
      signedTopics: [{ filter: 'plant/+/cmd/#', algorithm: 'ed25519', keys: { dev: pem }, windowS: 60 }],
    });
    const inner = Buffer.from('{"open":true}');
    const sig = sign(null, signedData('plant/a/cmd/valve', T0, 'z1', inner), privateKey).toString('base64');
    const env = Buffer.from(
      JSON.stringify({ kid: 'dev', ts: T0, nonce: 'z1', sig, payload: inner.toString('base64') }),
    );
    const m = msg({ topic: 'plant/a/cmd/valve', payload: env });
    expect(e.publish(session({ protocolVersion: 4 }), m, T0).action).toBe('allow');
    expect(e.publish(session({ protocolVersion: 4 }), m, T0 + 1).findings[0]?.reason).toBe('threat.replay');
  });

  it('nonce memory is bounded and, when full, refuses what it can no longer tell apart', () => {
    const mem = new NonceMemory(100);
    for (let i = 0; i < 1000; i++) expect(mem.remember([`n${i}`], T0 + i, T0 + i, 60_000)).toBe('fresh');
    expect(mem.size).toBe(100);
    expect(mem.remember(['n5'], T0 + 5, T0 + 1000, 60_000)).toBe('too_old');
    expect(mem.remember(['n999'], T0 + 999, T0 + 1000, 60_000)).toBe('seen');
  });
});

describe('bounded state', () => {
  it('per-client tables stay bounded when an attacker rotates client ids', () => {
    const cfg: Partial<InspectionConfig> = { maxTrackedClients: 1000, maxTrackedIps: 1000 };
    const e = engine(cfg);
    for (let i = 0; i < 20_000; i++) {
      e.publish(session({ clientId: `rot-${i}` }), msg({ qos: 1 }), T0 + i);
      e.connectAttempt(`10.1.${i >> 8}.${i & 255}`, T0 + i);
      e.subscribe(session({ clientId: `rot-${i}` }), ['a/b'], T0 + i);
    }
    const internals = e as unknown as Record<string, { size: number }>;
    for (const k of ['baselines', 'connects']) expect(internals[k]!.size).toBeLessThanOrEqual(1000);
  });

  it('BoundedMap evicts the least recently used entry', () => {
    const m = new BoundedMap<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.get('a');
    m.set('c', 3);
    expect([m.peek('a'), m.peek('b'), m.peek('c')]).toEqual([1, undefined, 3]);
    expect(m.evictions).toBe(1);
  });
});

describe('engine results', () => {
  it('a signature hit blocks with the rule id, name, technique, safe match and values', () => {
    const r = engine().publish(
      session(),
      msg({ payload: Buffer.from('{"cmd":"; cat /etc/passwd\\u0007"}') }),
      T0,
    );
    expect(r.action).toBe('block');
    expect(r.verdict).toMatchObject({ ok: false, reason: 'inspect.cmdi', severity: 9 });
    expect(r.findings[0]?.rule).toMatchObject({
      id: 'sig.cmdi.chained_command',
      technique: 'T1190',
      values: { category: 'cmdi' },
    });
    expect(r.findings[0]?.rule.matched).toContain('; cat /etc/passwd');
  });

  it('a disabled engine allows everything', () => {
    const e = engine({ enabled: false });
    expect(e.publish(session(), msg({ payload: Buffer.from("' OR '1'='1") }), T0).action).toBe('allow');
    expect(e.subscribe(session(), ['#'], T0).action).toBe('allow');
  });
});
