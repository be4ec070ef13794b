// Embedded mode: an aedes broker in this process instead of an upstream one, for small sites that run no
// broker. Each device session is the same ProxySession as in proxy mode — same framing, validation,
// pipeline, wire answers and events — with its "upstream" being one end of an in-memory stream pair
// whose other end aedes serves. aedes's hooks are wired to the same session state as a second line:
// preConnect admits only connections that came through a session, authenticate confirms the pipeline's
// verdict, authorizePublish / authorizeSubscribe / authorizeForward apply the session's compiled ACL
// (wills included, which no device PUBLISH carries). The hooks alone could not express the per-version
// answers (silent drop, no PUBACK, 0x97), which is why the decisions themselves happen in the session.
import { Duplex } from 'node:stream';
import type { SessionContext } from '../session/context.ts';

/** Two Duplex ends wired back to back, with back-pressure: a write waits until the other end reads. */
class PairEnd extends Duplex {
  other!: PairEnd;
  private waiting: (() => void) | undefined;

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.other.push(chunk)) cb();
    else this.other.waiting = cb;
  }

  override _read(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.other.push(null);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.other.destroyed) this.other.destroy();
    cb(err);
  }
}

export function streamPair(): [Duplex, Duplex] {
  const a = new PairEnd();
  const b = new PairEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}

interface AedesClientLike {
  conn: unknown;
}

interface AedesPublishLike {
  topic: string;
  retain?: boolean;
}

export interface AedesLike {
  handle(stream: Duplex): unknown;
  close(cb?: () => void): unknown;
  preConnect: (
    client: AedesClientLike,
    packet: unknown,
    cb: (err: Error | null, ok: boolean) => void,
  ) => void;
  authenticate: (
    client: AedesClientLike,
    u: unknown,
    p: unknown,
    done: (err: Error | null, ok: boolean | null) => void,
  ) => void;
  authorizePublish: (
    client: AedesClientLike | null,
    packet: AedesPublishLike,
    cb: (err?: Error | null) => void,
  ) => void;
  authorizeSubscribe: (
    client: AedesClientLike,
    sub: { topic: string },
    cb: (err: Error | null, sub?: unknown) => void,
  ) => void;
  authorizeForward: (client: AedesClientLike, packet: AedesPublishLike) => unknown;
}

/** The in-process broker and the map from its connections to the sessions in front of them. */
export class EmbeddedBroker {
  private readonly sessions = new WeakMap<object, SessionContext>();

  private constructor(private readonly aedes: AedesLike) {
    const sessionOf = (c: AedesClientLike | null): SessionContext | undefined =>
      c && typeof c.conn === 'object' && c.conn !== null ? this.sessions.get(c.conn) : undefined;
    aedes.preConnect = (client, _packet, cb) => cb(null, sessionOf(client) !== undefined);
    // The pipeline already authenticated the CONNECT before the session handed it over.
    aedes.authenticate = (client, _u, _p, done) => done(null, sessionOf(client)?.acl !== undefined);
    aedes.authorizePublish = (client, packet, cb) => {
      if (client === null) return cb(null); // a stored will of a client long gone: it passed when set
      const v = sessionOf(client)?.acl?.canPublish(packet.topic, packet.retain === true);
      cb(v?.ok ? null : new Error(v && !v.ok ? v.reason : 'no session'));
    };
    aedes.authorizeSubscribe = (client, sub, cb) => {
      const v = sessionOf(client)?.acl?.canSubscribe(sub.topic);
      cb(null, v?.ok ? sub : null); // null: SUBACK 0x80
    };
    aedes.authorizeForward = (client, packet) =>
      sessionOf(client)?.acl?.canReceive(packet.topic).ok ? packet : null;
  }

  /** aedes is loaded only when embedded mode is configured. */
  static async create(id: string): Promise<EmbeddedBroker> {
    const { Aedes } = await import('aedes');
    const broker = await Aedes.createBroker({ id });
    return new EmbeddedBroker(broker as unknown as AedesLike);
  }

  /** A new broker-side connection for one session; returns the session's end. */
  connect(session: SessionContext): Duplex {
    const [sessionEnd, brokerEnd] = streamPair();
    this.sessions.set(brokerEnd, session);
    this.aedes.handle(brokerEnd);
    return sessionEnd;
  }

  close(): Promise<void> {
    return new Promise((r) => this.aedes.close(() => r()));
  }
}
