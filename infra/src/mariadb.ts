// The MariaDB recipe: a private server (Debian's mariadb-server binaries) with its own datadir, socket and
// port under one folder, bound to loopback, run as a supervised child. Used by the local stack (behind the
// reference auth service) and by integration tests, which each start their own on a free port.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { getFreePort } from './ports.ts';
import { SupervisedChild } from './process.ts';

const run = promisify(execFile);

export interface StartMariadbOptions {
  /** Folder for data/, the socket, the pid file and the log. Reused (not re-initialised) if it holds data. */
  dir: string;
  /** TCP port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** Restart when it dies on its own (the stack); off for tests. */
  restart?: boolean;
  /** InnoDB buffer pool, MiB. */
  bufferPoolMb?: number;
  /** Binaries, for non-Debian layouts. */
  serverBinary?: string;
  installBinary?: string;
}

export interface Mariadb {
  host: string;
  port: number;
  socketPath: string;
  /** root without a password: only reachable from this host (loopback and the socket). */
  user: string;
  dir: string;
  child: SupervisedChild;
  stop(): Promise<void>;
  /** SIGKILL, no restart: for failure tests. */
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** Unix socket paths are limited to ~107 bytes; a deep folder gets its socket under the OS temp dir. */
function socketPathFor(dir: string, port: number): string {
  const p = join(dir, 'mysqld.sock');
  return p.length < 100 ? p : join(tmpdir(), `sentinel-mariadb-${port}.sock`);
}

async function initialise(dataDir: string, tmpDir: string, installBinary: string): Promise<void> {
  if (existsSync(join(dataDir, 'mysql'))) return;
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(tmpDir, { recursive: true });
  try {
    await run(installBinary, [
      '--no-defaults',
      `--datadir=${dataDir}`,
      // Its own temp folder: bootstraps running side by side in a shared /tmp collide on temp table names.
      `--tmpdir=${tmpDir}`,
      '--user=root',
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ]);
  } catch (err) {
    // A half-made data folder would be taken as initialised next time: remove it.
    rmSync(dataDir, { recursive: true, force: true });
    const e = err as Error & { stderr?: string };
    throw new Error(
      `${installBinary} failed: ${e.stderr?.trim().split('\n').slice(-3).join(' ') ?? e.message}`,
      {
        cause: err,
      },
    );
  }
}

async function accepts(socketPath: string): Promise<boolean> {
  try {
    const c = await createConnection({ socketPath, user: 'root', connectTimeout: 1000 });
    await c.query('SELECT 1');
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** Initialise (first time) and start a private MariaDB; resolves once it accepts connections. */
export async function startMariadb(opts: StartMariadbOptions): Promise<Mariadb> {
  const dir = resolve(opts.dir);
  const port = opts.port ?? (await getFreePort());
  const dataDir = join(dir, 'data');
  const socketPath = socketPathFor(dir, port);
  const tmpDir = join(dir, 'tmp');
  await initialise(dataDir, tmpDir, opts.installBinary ?? 'mariadb-install-db');
  mkdirSync(tmpDir, { recursive: true });
  const child = new SupervisedChild({
    name: 'mariadbd',
    command: opts.serverBinary ?? 'mariadbd',
    args: [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--tmpdir=${tmpDir}`,
      '--user=root',
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socketPath}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--skip-name-resolve',
      `--innodb-buffer-pool-size=${opts.bufferPoolMb ?? 128}M`,
      // A local, rebuildable store: group commit at the OS level is enough and makes bulk loads fast.
      '--innodb-flush-log-at-trx-commit=2',
      '--max-allowed-packet=64M',
      '--max-connections=512',
    ],
    logFile: join(dir, 'mariadbd.log'),
    ready: () => accepts(socketPath),
    readyTimeoutMs: 60_000,
    restart: opts.restart ?? false,
  });
  await child.start();
  return {
    host: '127.0.0.1',
    port,
    socketPath,
    user: 'root',
    dir,
    child,
    stop: () => child.stop(),
    kill: () => child.kill('SIGKILL'),
    restart: () => child.start(),
  };
}
