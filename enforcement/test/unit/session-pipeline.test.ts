// The decision pipeline alone (no sockets): the order of the CONNECT steps, fail-closed auth, certificate
// binding, wills, and the events each decision produces — with the real rate limiter, ACL engine and
// penalty box, and an authenticator built from the interface that counts its calls.
import { describe, expect, it } from 'vitest';
import { ulid } from '@sentinel/ingest';
import type { DecisionEventV1 } from '@sentinel/ingest';
import { createNodeMetrics } from '../../src/metrics.ts';
import { TopicAclEngine } from '../../src/policy/acl.ts';
import { DEFAULT_DEVICE_ACL } from '../../src/policy/config.ts';
import { MemoryPenaltyBox } from '../../src/policy/penalty-box.ts';
import { TokenBucketRateLimiter } from '../../src/policy/rate-limit.ts';
import type { AuthResult, Authenticator, ConnectIdentity, RateLimits } from '../../src/policy/types.ts';
import type { ConnectPacket, PublishPacket } from '../../src/protocol/packets.ts';
import type { PeerInfo, SessionContext } from '../../src/session/context.ts';
import { peerSubject } from '../../src/session/context.ts';
import { Pipeline } from '../../src/session/pipeline.ts';
import type { PipelineConfig } from '../../src/session/pipeline.ts';

const LIMITS: RateLimits = {
  global: { rate: 1000, burst: 1000 },
  per_ip: { rate: 1000, burst: 1000 },
  connect: { rate: 0.001, burst: 3 },
  publish: { rate: 1000, burst: 1000 },
  subscribe: { rate: 1000, burst: 1000 },
  per_client: { rate: 1000, burst: 1000 },
};

class CountingAuth implements Authenticator {
  calls = 0;
  seen: (Buffer | undefined)[] = [];
  constructor(private readonly answer: (id: ConnectIdentity) => AuthResult | Error) {}
  async authenticate(id: ConnectIdentity): Promise<AuthResult> {
    this.calls++;
    this.seen.push(id.password);
    const a = this.answer(id);
    if (a instanceof Error) throw a;
    return a;
  }
  async close(): Promise<void> {}
}

function setup(auth?: Authenticator, over: Partial<PipelineConfig> = {}) {
  const events: DecisionEventV1[] = [];
  const penalty = new MemoryPenaltyBox();
  const pipeline = new Pipeline(
    {
      node: 'unit',
      certBinding: 'when-present',
      publishEvents: 'summary',
      allowEmptyClientId: false,
      ...over,
    },
    {
      limiter: new TokenBucketRateLimiter({ limits: LIMITS }),
      acl: new TopicAclEngine({ defaultRules: DEFAULT_DEVICE_ACL }),
      penalty,
      emit: (e) => events.push(e),
      metrics: createNodeMetrics(),
      ...(auth ? { auth } : {}),
    },
  );
  return { pipeline, events, penalty };
}

let n = 0;
function ctx(peer: Partial<PeerInfo> = {}): SessionContext {
  const p: PeerInfo = { ip: `10.0.0.${++n}`, port: 1000 + n, transport: 'tcp', ...peer };
  const id = `s${n}`;
  return {
    sessionId: id,
    peer: p,
    version: 4,
    clientId: '',
    username: undefined,
    subject: peerSubject(p, id),
    acl: undefined,
    pubMessages: 0,
    pubBytes: 0,
    pubSince: 0,
    close: () => undefined,
  };
}

const connect = (clientId: string, over: Partial<ConnectPacket> = {}): ConnectPacket => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion: 4,
  clean: true,
  keepalive: 30,
  clientId,
  username: clientId,
  password: Buffer.from('s3cret-password'),
  ...over,
});

const ok = (): AuthResult => ({ allow: true, reason: 'auth.ok', cache: 'miss', latencyMs: 1.5 });

describe('session pipeline', () => {
  it('pipeline - a banned identity is refused before any auth callout is made', async () => {
    const auth = new CountingAuth(ok);
    const { pipeline, events, penalty } = setup(auth);
    const now = Date.now();
    penalty.apply(
      {
        v: 1,
        id: ulid(),
        ts: now,
        action: 'ban',
        scope: 'client_id',
        value: 'bad-1',
        durationS: 60,
        until: now + 60_000,
        origin: 'manual',
        reason: 'test',
      },
      now,
    );
    const v = await pipeline.checkConnect(ctx(), connect('bad-1'));
    expect(v.ok ? 'allow' : v.reason).toBe('penalty.banned');
    expect(auth.calls).toBe(0);
    expect(events.map((e) => e.reason)).toEqual(['penalty.banned']);
  });

  it('pipeline - CONNECT over the per-IP burst is refused with rate.connect before the auth callout', async () => {
    const auth = new CountingAuth(ok);
    const { pipeline, events } = setup(auth);
    const c = ctx();
    const reasons: string[] = [];
    for (let i = 0; i < 5; i++) {
      const v = await pipeline.checkConnect({ ...c, subject: c.subject }, connect(`d-${i}`));
      reasons.push(v.ok ? 'allow' : v.reason);
    }
    expect(reasons).toEqual(['allow', 'allow', 'allow', 'rate.connect', 'rate.connect']);
    expect(auth.calls).toBe(3);
    const ev = events.find((e) => e.reason === 'rate.connect');
    expect(ev?.kind).toBe('rate_limit');
    expect(ev?.rule?.values?.tier).toBe('connect');
  });

  it('pipeline - an authenticator that throws is fail-closed: auth.unavailable', async () => {
    const { pipeline, events } = setup(new CountingAuth(() => new Error('connection refused')));
    const v = await pipeline.checkConnect(ctx(), connect('dev-x'));
    expect(v.ok ? 'allow' : v.reason).toBe('auth.unavailable');
    expect(events.map((e) => e.reason)).toEqual(['auth.unavailable']);
  });

  it('pipeline - the password reaches the auth step only, is dropped after it, and never appears in an event', async () => {
    const auth = new CountingAuth(ok);
    const { pipeline, events } = setup(auth);
    await pipeline.checkConnect(ctx(), connect('dev-p'));
    expect(auth.seen[0]?.toString()).toBe('s3cret-password');
    expect(JSON.stringify(events)).not.toContain('s3cret');
    const authEvent = events.find((e) => e.reason === 'auth.ok');
    expect(authEvent?.rule?.values).toMatchObject({ cache: 'miss', latencyMs: 1.5 });
  });

  it('pipeline - a device-bound certificate whose CN is another client id is refused with auth.cert_mismatch', async () => {
    const { pipeline } = setup(new CountingAuth(ok));
    const v = await pipeline.checkConnect(
      ctx({ certCommonName: 'dev-a', certFingerprint: 'ab'.repeat(32) }),
      connect('dev-b'),
    );
    expect(v.ok ? 'allow' : v.reason).toBe('auth.cert_mismatch');
    const strict = setup(undefined, { certBinding: 'required' });
    const w = await strict.pipeline.checkConnect(ctx(), connect('dev-c'));
    expect(w.ok ? 'allow' : w.reason).toBe('auth.cert_mismatch');
  });

  it('pipeline - a will topic outside the publish ACL refuses the CONNECT; an empty client id is refused', async () => {
    const { pipeline } = setup();
    const will = { topic: 'admin/reboot', payload: Buffer.from('x'), qos: 0 as const, retain: false };
    const v = await pipeline.checkConnect(ctx(), connect('dev-w', { will }));
    expect(v.ok ? 'allow' : v.reason).toBe('acl.publish_denied');
    const e = await pipeline.checkConnect(ctx(), connect(''));
    expect(e.ok ? 'allow' : e.reason).toBe('protocol.missing_field');
  });

  it('pipeline - allowed PUBLISH traffic becomes one publish.summary per interval, not one event per message', async () => {
    const { pipeline, events } = setup();
    const c = ctx();
    await pipeline.checkConnect(c, connect('dev-s'));
    const p: PublishPacket = {
      cmd: 'publish',
      topic: 'devices/dev-s/t',
      payload: Buffer.alloc(10),
      qos: 0,
      retain: false,
      dup: false,
    };
    for (let i = 0; i < 50; i++) expect(pipeline.checkPublish(c, p, p.topic, Date.now()).ok).toBe(true);
    const denied = pipeline.checkPublish(
      c,
      { ...p, topic: 'devices/other/t' },
      'devices/other/t',
      Date.now(),
    );
    expect(denied.ok ? 'allow' : denied.reason).toBe('acl.publish_denied');
    const before = events.length;
    pipeline.summarize(c, Date.now());
    const summary = events.slice(before);
    expect(summary).toHaveLength(1);
    expect(summary[0]?.mqtt).toMatchObject({ messages: 50, bytes: 500 });
    expect(events.filter((e) => e.reason === 'publish.allowed')).toHaveLength(0);
  });
});
