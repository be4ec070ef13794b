// The whole stack for the end-to-end tests, as an operator starts it: `sentinel up` in its own process
// (nats-server, analytics on chDB, MariaDB + the reference auth service, an enforcement node, the api
// serving the built console), every port moved to a free one through a generated config file.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort, tempDir, waitFor } from '@sentinel/infra';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repo, 'bin', 'sentinel.mjs');
const defaultRules = join(repo, 'analytics', 'rules', 'detections.yaml');
const TOKEN_RE = /snt_[A-Za-z0-9_-]{43}/;

export interface Stack {
  /** the api, which also serves the console at `/` */
  url: string;
  /** the enforcement node's MQTT (TCP) listener */
  mqttPort: number;
  /** the core broker behind the node (nats-server MQTT) */
  coreMqttPort: number;
  /** runs a `sentinel` subcommand against this stack's configuration */
  sentinel(...args: string[]): string;
  adminToken: string;
  output(): string;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

function effectiveConfig(file: string): Json {
  const r = spawnSync(process.execPath, [bin, '--config', file, 'config'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sentinel config failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Json;
}

/** Every `...port` setting with a non-zero default, as a path. */
function portPaths(o: unknown, path: string[] = []): string[][] {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return [];
  const out: string[][] = [];
  for (const [k, v] of Object.entries(o as Json)) {
    if (typeof v === 'number' && /port$/i.test(k) && v !== 0) out.push([...path, k]);
    else out.push(...portPaths(v, [...path, k]));
  }
  return out;
}

function setPath(o: Json, path: string[], value: unknown): void {
  let cur = o;
  for (const k of path.slice(0, -1)) cur = (cur[k] ??= {}) as Json;
  cur[path[path.length - 1] as string] = value;
}

/**
 * The shipped detection rules with the brute-force rule's automatic ban turned off: the test bans the
 * attacker by hand from the console, and must see that ban, not analytics', refuse the next CONNECT.
 */
function rulesWithoutAutoBan(dir: string): string {
  const text = readFileSync(defaultRules, 'utf8');
  const start = text.indexOf('- id: auth.brute_force');
  const next = text.indexOf('- id:', start + 1);
  const end = next < 0 ? text.length : next;
  const block = text.slice(start, end);
  if (start < 0 || !/\n\s+ban: \{\}/.test(block)) {
    throw new Error(
      'the auth.brute_force rule in analytics/rules/detections.yaml changed shape; update this test kit',
    );
  }
  const file = join(dir, 'detections.yaml');
  writeFileSync(
    file,
    text.slice(0, start) + block.replace(/\n(\s+)ban: \{\}/, '\n$1ban: false') + text.slice(end),
  );
  return file;
}

/**
 * Starts the stack; a port taken by another process between choosing it and binding it (other test
 * suites run beside this one) gets one more try on fresh ports. Any other failure is thrown as is.
 */
export async function startStack(): Promise<Stack> {
  try {
    return await startStackOnce();
  } catch (err) {
    if (!(err instanceof Error) || !/already in use|EADDRINUSE/.test(err.message)) throw err;
    console.warn(`sentinel up met a taken port; once more on fresh ports: ${err.message.split('\n')[0]}`);
    return startStackOnce();
  }
}

async function startStackOnce(): Promise<Stack> {
  const t = tempDir('sentinel-web-e2e-');
  const base = join(t.dir, 'base.yaml');
  // JSON is YAML: the config file is written as JSON
  writeFileSync(base, JSON.stringify({ dataDir: join(t.dir, 'state') }));
  const defaults = effectiveConfig(base);
  const cfg: Json = { dataDir: join(t.dir, 'state') };
  const ports = new Map<string, number>();
  for (const p of portPaths(defaults)) {
    const port = await getFreePort();
    ports.set(p.join('.'), port);
    setPath(cfg, p, port);
  }
  const natsPort = ports.get('stack.natsPort');
  const corePort = ports.get('stack.coreMqttPort');
  const apiPort = ports.get('api.port');
  const mqttPort = ports.get('enforcement.tcp.port');
  if (!natsPort || !corePort || !apiPort || !mqttPort)
    throw new Error(`missing port settings: ${[...ports.keys()]}`);
  setPath(cfg, ['nats', 'servers'], [`nats://127.0.0.1:${natsPort}`]);
  setPath(cfg, ['api', 'quarantine', 'coreMqttUrl'], `mqtt://127.0.0.1:${corePort}`);
  setPath(cfg, ['analytics', 'rulesFile'], rulesWithoutAutoBan(t.dir));
  const file = join(t.dir, 'sentinel.yaml');
  writeFileSync(file, JSON.stringify(cfg, null, 2));

  let out = '';
  const child: ChildProcess = spawn(process.execPath, [bin, '--config', file, 'up'], {
    cwd: t.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SENTINEL_CONFIG_FILE: undefined },
    detached: true,
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      const t2 = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 30_000);
      await exited;
      clearTimeout(t2);
    }
    t.cleanup();
  };
  try {
    await waitFor('sentinel up', () => out.includes('Press Ctrl-C to stop.') || child.exitCode !== null, {
      timeoutMs: 150_000,
    });
    if (child.exitCode !== null) throw new Error(`sentinel up exited with ${child.exitCode}:\n${out}`);
    const adminToken = TOKEN_RE.exec(out)?.[0];
    if (!adminToken) throw new Error(`sentinel up printed no admin token:\n${out}`);
    const sentinel = (...args: string[]): string => {
      const r = spawnSync(process.execPath, [bin, '--config', file, ...args], {
        cwd: t.dir,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`sentinel ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    return {
      url: `http://127.0.0.1:${apiPort}`,
      mqttPort,
      coreMqttPort: corePort,
      sentinel,
      adminToken,
      output: () => out,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Creates a token with a role through the api, as an admin would. */
export async function createToken(stack: Stack, name: string, role: string): Promise<string> {
  const res = await fetch(`${stack.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, role }),
  });
  if (res.status !== 201) throw new Error(`creating the ${role} token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}
