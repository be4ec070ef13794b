// A proxy session on in-memory streams (no sockets) for the session unit tests: the device and each
// upstream connection are Wires that record every write call, the pipeline has real rate limits and ACLs.
import { Duplex } from 'node:stream';
import { createNodeMetrics } from '../../src/metrics.ts';
import { TopicAclEngine } from '../../src/policy/acl.ts';
import { TokenBucketRateLimiter } from '../../src/policy/rate-limit.ts';
import type { AclRuleSet, RateLimits } from '../../src/policy/types.ts';
import { Pipeline } from '../../src/session/pipeline.ts';
import { ProxySession } from '../../src/session/proxy-session.ts';
import { SessionRegistry } from '../../src/session/registry.ts';
import type { UpstreamLevel } from '../../src/session/translator.ts';

const WIDE = { rate: 1e9, burst: 1e9 };

/** Every tier wide open: no test packet is rate-limited unless the test narrows a tier. */
export const WIDE_LIMITS: RateLimits = {
  global: WIDE,
  per_ip: WIDE,
  connect: WIDE,
  publish: WIDE,
  subscribe: WIDE,
  per_client: WIDE,
};

/** One end of a connection: records every write call (one call = one syscall on a socket). */
export class Wire extends Duplex {
  writes: Buffer[] = [];
  constructor() {
    super({ allowHalfOpen: false });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.writes.push(Buffer.from(chunk));
    cb();
  }
  override _writev(chunks: { chunk: Buffer }[], cb: () => void): void {
    this.writes.push(Buffer.concat(chunks.map((c) => c.chunk)));
    cb();
  }
  get bytes(): Buffer {
    return Buffer.concat(this.writes);
  }
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

const registries: SessionRegistry[] = [];

/** Stop the registries of every session made so far (call from afterEach). */
export function stopMemorySessions(): void {
  registries.splice(0).forEach((r) => r.stop());
}

export interface MemorySessionOptions {
  rules: AclRuleSet;
  limits?: RateLimits;
  /** The upstream level for 5.0 devices (translation); absent: forwarded as is. */
  upstream?: UpstreamLevel;
}

/** A session of a device at 10.1.2.3:1234; `ups` holds each upstream connection it opened, in order. */
export function memorySession(o: MemorySessionOptions): {
  session: ProxySession;
  device: Wire;
  ups: Wire[];
} {
  const metrics = createNodeMetrics();
  const pipeline = new Pipeline(
    { node: 'unit', certBinding: 'off', publishEvents: 'summary', allowEmptyClientId: false },
    {
      limiter: new TokenBucketRateLimiter({ limits: o.limits ?? WIDE_LIMITS }),
      acl: new TopicAclEngine({ defaultRules: o.rules }),
      emit: () => undefined,
      metrics,
    },
  );
  const registry = new SessionRegistry({ pipeline, tickMs: 60_000, summaryIntervalMs: 60_000 });
  registries.push(registry);
  const device = new Wire();
  const ups: Wire[] = [];
  const session = new ProxySession(
    device,
    { ip: '10.1.2.3', port: 1234, transport: 'tcp' },
    {
      pipeline,
      registry,
      metrics,
      limits: {
        maxPacketSize: 1 << 20,
        upstreamMaxPacketSize: 1 << 20,
        connectTimeoutMs: 10_000,
        keepAliveFactor: 1.5,
        allowMqtt31: false,
      },
      openUpstream: () => {
        const w = new Wire();
        ups.push(w);
        return w;
      },
      ...(o.upstream ? { upstream: o.upstream } : {}),
    },
  );
  return { session, device, ups };
}
