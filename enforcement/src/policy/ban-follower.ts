// Keeps a MemoryPenaltyBox in step with the NATS KV bucket of bans: the watch first delivers the last value
// of every key (the full set of active bans), then each change as it happens. Deleted or purged keys and
// `unban` decisions lift bans; values that fail validation are skipped and logged, never applied.
import { Kvm } from '@nats-io/kv';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  backoffDelay,
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
  let kv: KV;
  let pending: number;
  type Watch = Awaited<ReturnType<KV['watch']>>;
  let watch: Watch;
  try {
    kv = await new Kvm(nc).open(bucket);
    pending = (await kv.status()).values;
    watch = await kv.watch();
  } catch (err) {
    throw new PolicyError(PolicyErrorCode.BansUnavailable, `could not watch the bans bucket ${bucket}`, {
      cause: err,
      context: { bucket },
    });
  }
  let markLoaded: () => void = () => undefined;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  if (pending === 0) markLoaded();
  let stopped = false;

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

  // Should a watch ever end (consumer lost, bucket re-created), watch again: the new watch delivers every
  // key's last value, delete markers included, so the box converges on the bucket again.
  const done = (async () => {
    for (let attempt = 0; ;) {
      try {
        for await (const e of watch) {
          handle(e);
          if (e.delta === 0) markLoaded();
          attempt = 0;
        }
      } catch (err) {
        log.error('ban watch failed', { error: String(err) });
      }
      if (stopped) return;
      attempt += 1;
      const delayMs = backoffDelay(attempt, 200, 10_000);
      log.warn('ban watch ended; watching again', { attempt, delayMs });
      await new Promise((r) => setTimeout(r, delayMs));
      if (stopped) return;
      try {
        watch = await kv.watch();
      } catch (err) {
        log.error('could not watch the bans bucket again', { error: String(err) });
      }
    }
  })();

  const timeoutMs = opts.loadTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
  const first = await Promise.race([loaded.then(() => 'ok' as const), timeout]);
  clearTimeout(timer);
  if (first === 'timeout') {
    stopped = true;
    watch.stop();
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
      stopped = true;
      clearInterval(prune);
      watch.stop();
      await done;
    },
  };
}
