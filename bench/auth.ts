// npm run bench -- auth
// The reference auth service on a private MariaDB filled with device credentials (1,500,000 by default,
// AUTH_BENCH_DEVICES to change), then:
//   populate_rows_per_s          bulk creation of those credentials
//   auth_service_p99_ms          POST /auth straight to the service, every request a different device (a miss)
//   authenticator_miss_p99_ms    the node's auth callout on a cache miss (HMAC key, single-flight, HTTP)
//   authenticator_cached_p99_ms  the node's auth callout on a cache hit
//   rate_limit_checks_per_s      six-tier token-bucket checks (PUBLISH path: four tiers) on one core
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import {
  authServiceConfigSchema,
  getFreePort,
  openAuthDb,
  populateDevices,
  startMariadb,
  SupervisedChild,
  tempDir,
} from '@sentinel/infra';
import {
  authConfigSchema,
  HttpAuthenticator,
  rateLimitsConfigSchema,
  toRateLimits,
  TokenBucketRateLimiter,
} from '@sentinel/enforcement';
import type { ConnectIdentity } from '@sentinel/enforcement';
import { metric, percentile, progress } from './_report.ts';

const SUITE = 'auth';
const DEVICES = Number(process.env.AUTH_BENCH_DEVICES ?? 1_500_000);
const SAMPLES = Number(process.env.AUTH_BENCH_SAMPLES ?? 4000);
const CONCURRENCY = 2;

type Cred = { clientId: string; username: string; secret: string };

/** Run `fn` for every item with `CONCURRENCY` in flight; returns each call's latency in ms. */
async function timedAll<T>(items: T[], fn: (item: T) => Promise<void>): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      const t0 = performance.now();
      await fn(item);
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return lat.sort((a, b) => a - b);
}

/** Every k-th credential of the file, so the samples spread over the whole table (not a hot corner). */
async function spreadCredentials(file: string, total: number, want: number): Promise<Cred[]> {
  const every = Math.max(1, Math.floor(total / want));
  const out: Cred[] = [];
  let n = -1; // the header line
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (n++ < 0 || n % every !== 0) continue;
    const [clientId, username, secret] = line.split(',');
    if (clientId && username && secret) out.push({ clientId, username, secret });
  }
  return out;
}

/** Quarter `q` of the credentials (every fourth, so each quarter spans the table), at most `n`. */
function quarter(creds: Cred[], q: number, n: number): Cred[] {
  return creds.filter((_, i) => i % 4 === q).slice(0, n);
}

const identity = (c: Cred): ConnectIdentity => ({
  clientId: c.clientId,
  username: c.username,
  password: Buffer.from(c.secret),
  ip: '127.0.0.1',
  port: 50_000,
  protocolVersion: 4,
  transport: 'tcp',
});

async function benchService(url: string, creds: Cred[]): Promise<void> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: CONCURRENCY });
  const inside: number[] = [];
  const post = async (c: Cred): Promise<void> => {
    const res = await pool.request({
      path: u.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: c.clientId,
        username: c.username,
        password: c.secret,
        ip: '127.0.0.1',
      }),
    });
    const timing = /app;dur=([\d.]+)/.exec(String(res.headers['server-timing'] ?? ''));
    if (timing) inside.push(Number(timing[1]));
    const a = (await res.body.json()) as { allow: boolean };
    if (!a.allow) throw new Error(`bench credential of ${c.clientId} was denied`);
  };
  await timedAll(quarter(creds, 0, 300), post); // warm-up: connections, prepared statements
  inside.length = 0;
  const lat = await timedAll(quarter(creds, 1, SAMPLES), post);
  await pool.close();
  progress(
    SUITE,
    `service: ${lat.length} misses, p50 ${percentile(lat, 50).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms`,
  );
  metric(SUITE, 'auth_service_p99_ms', percentile(lat, 99), 'ms', {
    devices: DEVICES,
    samples: lat.length,
    concurrency: CONCURRENCY,
  });
  metric(SUITE, 'auth_service_p50_ms', percentile(lat, 50), 'ms');
  metric(SUITE, 'auth_service_p95_ms', percentile(lat, 95), 'ms');
  inside.sort((a, b) => a - b);
  metric(SUITE, 'auth_service_inside_p99_ms', percentile(inside, 99), 'ms', {
    what: 'Server-Timing app;dur',
  });
}

async function benchAuthenticator(url: string, creds: Cred[]): Promise<void> {
  const a = new HttpAuthenticator({ config: authConfigSchema.parse({ url }) });
  const ids = quarter(creds, 3, SAMPLES).map(identity);
  await timedAll(quarter(creds, 2, 300).map(identity), async (id) => void (await a.authenticate(id)));
  const miss = await timedAll(ids, async (id) => {
    const r = await a.authenticate(id);
    if (!r.allow || r.cache !== 'miss')
      throw new Error(`expected an allowed miss, got ${r.reason}/${r.cache}`);
  });
  const hitIds = [...ids, ...ids, ...ids];
  const hit = await timedAll(hitIds, async (id) => {
    const r = await a.authenticate(id);
    if (r.cache !== 'hit') throw new Error('expected a cache hit');
  });
  await a.close();
  progress(
    SUITE,
    `authenticator: miss p99 ${percentile(miss, 99).toFixed(2)} ms, hit p99 ${percentile(hit, 99).toFixed(3)} ms`,
  );
  metric(SUITE, 'authenticator_miss_p99_ms', percentile(miss, 99), 'ms', { samples: miss.length });
  metric(SUITE, 'authenticator_cached_p99_ms', percentile(hit, 99), 'ms', { samples: hit.length });
}

function benchRateLimiter(): void {
  const rl = new TokenBucketRateLimiter({ limits: toRateLimits(rateLimitsConfigSchema.parse({})) });
  const clients = 10_000;
  const ips = Array.from({ length: clients }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  const ids = Array.from({ length: clients }, (_, i) => `dev-${i}`);
  const checks = 5_000_000;
  let allowed = 0;
  let now = 0;
  const cpu0 = process.cpuUsage();
  for (let k = 0; k < checks; k++) {
    if ((k & 1023) === 0) now += 1;
    const i = k % clients;
    if (rl.publish(ips[i] as string, ids[i] as string, now).ok) allowed++;
  }
  const used = process.cpuUsage(cpu0);
  const perS = checks / ((used.user + used.system) / 1e6);
  progress(SUITE, `rate limiter: ${checks} PUBLISH checks, ${allowed} allowed, ${rl.size()} buckets`);
  metric(SUITE, 'rate_limit_checks_per_s', perS, 'checks/s', { clients, tiersPerCheck: 4 });
}

/** The service in its own process, as deployed (`sentinel auth-service`), so client and server do not share a loop. */
async function startServiceProcess(
  dir: string,
  socketPath: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await getFreePort();
  const conf = `${dir}/bench.yaml`;
  writeFileSync(conf, `dataDir: ${JSON.stringify(dir)}\n`);
  const url = `http://127.0.0.1:${port}/auth`;
  const child = new SupervisedChild({
    name: 'auth-service',
    command: process.execPath,
    args: ['bin/sentinel.mjs', '-c', conf, 'auth-service'],
    env: { SENTINEL_AUTH_SERVICE_PORT: String(port), SENTINEL_AUTH_SERVICE_DB_SOCKET_PATH: socketPath },
    logFile: `${dir}/auth-service.log`,
    ready: async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok,
    restart: false,
  });
  await child.start();
  return { url, stop: () => child.stop() };
}

async function main(): Promise<void> {
  benchRateLimiter();
  const t = tempDir('sentinel-bench-auth-');
  const db = await startMariadb({ dir: `${t.dir}/mariadb`, bufferPoolMb: 256 });
  try {
    const cfg = authServiceConfigSchema.parse({ db: { socketPath: db.socketPath } });
    const pool = await openAuthDb(cfg.db);
    progress(SUITE, `populating ${DEVICES} devices`);
    const file = `${t.dir}/creds.csv`;
    const pop = await populateDevices({
      pool,
      count: DEVICES,
      file,
      onProgress: (done, total) => {
        if (done % 250_000 === 0 || done === total) progress(SUITE, `  ${done}/${total}`);
      },
    });
    await pool.end();
    metric(SUITE, 'populate_rows_per_s', pop.count / (pop.elapsedMs / 1000), 'rows/s', {
      devices: pop.count,
    });
    const creds = await spreadCredentials(file, DEVICES, 4 * SAMPLES);
    const svc = await startServiceProcess(t.dir, db.socketPath);
    try {
      await benchService(svc.url, creds);
      await benchAuthenticator(svc.url, creds);
    } finally {
      await svc.stop();
    }
  } finally {
    await db.stop();
    t.cleanup();
  }
}

await main();
