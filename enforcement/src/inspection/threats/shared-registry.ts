// The session registry shared by the worker processes of one node. The primary routes connections by
// source IP, so a stolen client id or a cloned certificate used from a second address usually lands on
// another worker than the live session: a registry per worker would never see the conflict.
//
// Each worker keeps a view of every live session of the node and answers `claim` from it synchronously
// (the CONNECT path never waits for IPC). Its own claims and releases go to the primary, which relays them
// to the other workers and hands a worker that (re)starts a snapshot of the others' sessions. Two claims of
// one identity on two workers within one IPC hop (well under a millisecond on one machine) can both pass;
// from then on every further claim sees both.
import type { IdentityConflict, LiveSession, SessionRegistry } from './identity.ts';
import { LocalSessionRegistry } from './identity.ts';

export type SessionRegistryMessage =
  | { type: 'session-claim'; session: LiveSession }
  | { type: 'session-release'; sessionId: string }
  | { type: 'session-snapshot'; sessions: LiveSession[] };

export function isSessionRegistryMessage(m: unknown): m is SessionRegistryMessage {
  const t = (m as { type?: unknown } | null)?.type;
  return t === 'session-claim' || t === 'session-release' || t === 'session-snapshot';
}

export class SharedSessionRegistry implements SessionRegistry {
  private readonly view = new LocalSessionRegistry();
  /** Sessions claimed in this process (the rest of the view is the other workers'). */
  private readonly own = new Set<string>();

  /** `send` carries this worker's claims and releases to the primary. */
  constructor(private readonly send: (m: SessionRegistryMessage) => void) {}

  claim(s: LiveSession, checks: { clientId: boolean; certificate: boolean }): IdentityConflict | undefined {
    const holder = this.view.holderOf(s.clientId);
    const conflict = this.view.claim(s, checks);
    if (conflict) return conflict;
    // a takeover replaced the holder in the view; the other workers do the same when the claim arrives
    if (holder !== undefined && holder.sessionId !== s.sessionId) this.own.delete(holder.sessionId);
    this.own.add(s.sessionId);
    this.send({ type: 'session-claim', session: s });
    return undefined;
  }

  release(sessionId: string): void {
    this.view.release(sessionId);
    if (this.own.delete(sessionId)) this.send({ type: 'session-release', sessionId });
  }

  /** A claim, release or snapshot relayed by the primary from the other workers. */
  receive(m: SessionRegistryMessage): void {
    if (m.type === 'session-claim') this.view.apply(m.session);
    else if (m.type === 'session-release') this.view.release(m.sessionId);
    else for (const s of m.sessions) this.view.apply(s);
  }

  /** Live sessions held by this worker. */
  size(): number {
    return this.own.size;
  }

  /** Live sessions of the whole node as this worker sees them. */
  nodeSize(): number {
    return this.view.size();
  }
}

/**
 * The primary's side: which worker holds which session, relayed to the others. Bounded by the live
 * sessions of the node (each has a socket in some worker).
 */
export class SessionRelay {
  private readonly byWorker = new Map<number, Map<string, LiveSession>>();

  /** A message from worker `from`: returns what to send to every other worker, if anything. */
  fromWorker(from: number, m: SessionRegistryMessage): SessionRegistryMessage | undefined {
    let held = this.byWorker.get(from);
    if (!held) this.byWorker.set(from, (held = new Map()));
    if (m.type === 'session-claim') {
      held.set(m.session.sessionId, m.session);
      return m;
    }
    if (m.type === 'session-release') return held.delete(m.sessionId) ? m : undefined;
    return undefined; // workers never send snapshots
  }

  /** Worker `index` is gone: its sessions closed with it; the releases to send to the others. */
  workerGone(index: number): SessionRegistryMessage[] {
    const held = this.byWorker.get(index);
    this.byWorker.delete(index);
    return [...(held?.keys() ?? [])].map((sessionId) => ({ type: 'session-release', sessionId }));
  }

  /** What a (re)started worker `index` must know: every other worker's live sessions. */
  snapshotFor(index: number): SessionRegistryMessage {
    const sessions: LiveSession[] = [];
    for (const [w, held] of this.byWorker) if (w !== index) for (const s of held.values()) sessions.push(s);
    return { type: 'session-snapshot', sessions };
  }

  size(): number {
    let n = 0;
    for (const held of this.byWorker.values()) n += held.size;
    return n;
  }
}
