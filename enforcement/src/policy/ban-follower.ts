// Keeps a MemoryPenaltyBox in step with the NATS KV bucket of bans: the watch first delivers the last value
// of every key (the full set of active bans), then each change as it happens. Deleted or purged keys and
// `unban` decisions lift bans; values that fail validation are skipped and logged, never applied.
import { Kvm } from '@nats-io/kv';
import type { KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  BANS_BUCKET,
  parseBanKey,
  validateBanDecision,
  formatProblems,
  silentLogger,
} from '@sentinel/ingest';
import type { Logger } from '@sentinel/ingest';
import { PolicyError, PolicyErrorCode } from './errors.ts';
import type { MemoryPenaltyBox } from './penalty-box.ts';

export interface BanFollowerOptions {
  bucket?: string;
  log?: Logger;
  /** How often expired bans are pruned, ms. */
  pruneIntervalMs?: number;
  /** How long to wait for the initial set before start fails, ms. */
  loadTimeoutMs?: number;
  now?: () => number;
}

export interface BanFollower {
  /** Bans applied so far (initial load and changes). */
  applied(): number;
  stop(): Promise<void>;
}

/** Load every active ban into `box`, then follow changes. Resolves once the initial set is in. */
export async function followBans(
  nc: NatsConnection,
  box: MemoryPenaltyBox,
  opts: BanFollowerOptions = {},
): Promise<BanFollower> {
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? Date.now;
  const bucket = opts.bucket ?? BANS_BUCKET;
  let applied = 0;
  let kvWatch: Awaited<ReturnType<Awaited<ReturnType<Kvm['open']>>['watch']>>;
  let pending: number;
  try {
    const kv = await new Kvm(nc).open(bucket);
    pending = (await kv.status()).values;
    kvWatch = await kv.watch();
  } catch (err) {
    throw new PolicyError(PolicyErrorCode.BansUnavailable, `could not watch the bans bucket ${bucket}`, {
      cause: err,
      context: { bucket },
    });
  }
  let markLoaded: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  if (pending === 0) markLoaded();

  const handle = (e: KvWatchEntry): void => {
    if (e.operation === 'DEL' || e.operation === 'PURGE') {
      const k = parseBanKey(e.key);
      if (k && box.remove(k.scope, k.value)) log.info('ban lifted', { scope: k.scope });
      return;
    }
    let input: unknown;
    try {
      input = e.json();
    } catch {
      input = undefined;
    }
    const v = validateBanDecision(input);
    if (!v.ok) {
      log.warn('skipping an invalid ban decision', { key: e.key, problems: formatProblems(v.problems) });
      return;
    }
    if (box.apply(v.value, now())) applied += 1;
  };

  const done = (async () => {
    for await (const e of kvWatch) {
      handle(e);
      if (e.delta === 0) markLoaded();
    }
  })().catch((err: unknown) => log.error('ban watch ended', { error: String(err) }));

  const timeoutMs = opts.loadTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const first = await Promise.race([loaded.then(() => 'ok' as const), timeout]);
  clearTimeout(timer);
  if (first === 'timeout') {
    kvWatch.stop();
    throw new PolicyError(
      PolicyErrorCode.BansUnavailable,
      `the bans in ${bucket} did not load within ${timeoutMs} ms`,
      {
        context: { bucket },
      },
    );
  }
  log.info('bans loaded', { active: box.size() });

  const prune = setInterval(() => box.prune(now()), opts.pruneIntervalMs ?? 10_000);
  prune.unref();
  return {
    applied: () => applied,
    async stop() {
      clearInterval(prune);
      kvWatch.stop();
      await done;
    },
  };
}
