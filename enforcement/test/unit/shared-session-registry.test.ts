// The session registry shared by a node's workers: a claim on one worker is seen by the others through
// the primary's relay, so a stolen client id or a cloned certificate on another worker is still caught.
import { describe, expect, it } from 'vitest';
import {
  SessionRelay,
  SharedSessionRegistry,
  isSessionRegistryMessage,
} from '../../src/inspection/threats/shared-registry.ts';
import type { SessionRegistryMessage } from '../../src/inspection/threats/shared-registry.ts';
import type { LiveSession } from '../../src/inspection/threats/identity.ts';

const checks = { clientId: true, certificate: true };

/** N workers and a primary, wired in memory the way node:cluster IPC wires them (in order, per pair). */
function node(n: number) {
  const relay = new SessionRelay();
  const workers: SharedSessionRegistry[] = [];
  const alive = new Set<number>();
  const start = (i: number): SharedSessionRegistry => {
    const w = new SharedSessionRegistry((m) => {
      const out = relay.fromWorker(i, m);
      if (out) for (const j of alive) if (j !== i) workers[j]?.receive(out);
    });
    workers[i] = w;
    alive.add(i);
    w.receive(relay.snapshotFor(i));
    return w;
  };
  for (let i = 0; i < n; i++) start(i);
  const kill = (i: number): void => {
    alive.delete(i);
    for (const m of relay.workerGone(i)) for (const j of alive) workers[j]?.receive(m);
  };
  return { relay, workers: workers as SharedSessionRegistry[], start, kill };
}

const session = (id: string, clientId: string, ip: string, certFingerprint?: string): LiveSession => ({
  sessionId: id,
  clientId,
  ip,
  node: 'n1',
  since: 1,
  ...(certFingerprint !== undefined ? { certFingerprint } : {}),
});

describe('SharedSessionRegistry', () => {
  it('refuses a client id live on another worker when it comes from another IP', () => {
    const { workers } = node(2);
    const [w0, w1] = workers as [SharedSessionRegistry, SharedSessionRegistry];
    expect(w0.claim(session('s1', 'dev-1', '10.0.0.1'), checks)).toBeUndefined();
    const c = w1.claim(session('s2', 'dev-1', '10.0.0.2'), checks);
    expect(c).toMatchObject({
      kind: 'stolen_client_id',
      differs: 'ip',
      holder: { sessionId: 's1', ip: '10.0.0.1' },
    });
    expect(w1.size()).toBe(0);
    expect(w1.nodeSize()).toBe(1);
  });

  it('refuses a certificate live on another worker from another IP as cloned', () => {
    const { workers } = node(3);
    expect(workers[0]?.claim(session('s1', 'dev-1', '10.0.0.1', 'fp-a'), checks)).toBeUndefined();
    const c = workers[2]?.claim(session('s2', 'dev-2', '10.0.0.9', 'fp-a'), checks);
    expect(c).toMatchObject({ kind: 'cloned_certificate', holder: { sessionId: 's1' } });
  });

  it('frees the identity on every worker once the holder releases it', () => {
    const { workers } = node(2);
    const [w0, w1] = workers as [SharedSessionRegistry, SharedSessionRegistry];
    w0.claim(session('s1', 'dev-1', '10.0.0.1'), checks);
    w0.release('s1');
    expect(w1.claim(session('s2', 'dev-1', '10.0.0.2'), checks)).toBeUndefined();
    expect(w0.nodeSize()).toBe(1);
    // a release of a session this worker never held is not sent on
    w0.release('s2');
    expect(w1.nodeSize()).toBe(1);
  });

  it('a takeover from the same IP and certificate replaces the holder everywhere [MQTT-3.1.4-3]', () => {
    const { workers, relay } = node(2);
    const [w0, w1] = workers as [SharedSessionRegistry, SharedSessionRegistry];
    w0.claim(session('s1', 'dev-1', '10.0.0.1'), checks);
    expect(w0.claim(session('s2', 'dev-1', '10.0.0.1'), checks)).toBeUndefined();
    expect(w0.size()).toBe(1);
    expect(w1.nodeSize()).toBe(1);
    w0.release('s1'); // the replaced session's close arrives later: a no-op
    expect(w1.nodeSize()).toBe(1);
    expect(relay.size()).toBe(2); // the relay keeps s1 until its release, which the worker does not resend
  });

  it('a worker that dies takes its sessions with it; a worker that restarts learns the others from a snapshot', () => {
    const { workers, kill, start } = node(2);
    workers[0]?.claim(session('s1', 'dev-1', '10.0.0.1'), checks);
    workers[1]?.claim(session('s2', 'dev-2', '10.0.0.2'), checks);
    kill(0);
    expect(workers[1]?.nodeSize()).toBe(1);
    expect(workers[1]?.claim(session('s3', 'dev-1', '10.0.0.3'), checks)).toBeUndefined();
    const fresh = start(0);
    expect(fresh.nodeSize()).toBe(2);
    expect(fresh.claim(session('s4', 'dev-2', '10.0.0.4'), checks)).toMatchObject({
      kind: 'stolen_client_id',
    });
  });

  it('tells its IPC messages apart from the other cluster messages', () => {
    const m: SessionRegistryMessage = { type: 'session-release', sessionId: 'x' };
    expect(isSessionRegistryMessage(m)).toBe(true);
    expect(isSessionRegistryMessage({ type: 'socket', kind: 'tcp' })).toBe(false);
    expect(isSessionRegistryMessage(null)).toBe(false);
  });
});
