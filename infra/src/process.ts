// A supervised child process: started, probed until healthy, restarted with backoff when it dies
// unexpectedly, and stopped with SIGTERM then SIGKILL. Output goes to a log file so a failure can be read.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { sleep } from './wait.ts';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Where stdout and stderr go. */
  logFile: string;
  /** Resolves true once the child serves; polled until `readyTimeoutMs`. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Restart when it exits on its own (default true). */
  restart?: boolean;
  /** Signal for a graceful stop (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
}

export type ChildEvent =
  | { type: 'exit'; name: string; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'restart'; name: string; attempt: number; delayMs: number };

export class SupervisedChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private attempts = 0;
  private log: WriteStream | undefined;
  private exited: Promise<void> = Promise.resolve();
  onEvent: (e: ChildEvent) => void = () => undefined;

  constructor(readonly spec: ChildSpec) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Start and wait until ready; throws with the log file's tail if it never gets ready. */
  async start(): Promise<void> {
    this.stopping = false;
    this.spawnOnce();
    await this.waitReady();
  }

  private spawnOnce(): void {
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    this.log ??= createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    const started = Date.now();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onEvent({ type: 'exit', name: this.spec.name, code, signal });
        resolve();
        if (this.stopping || this.spec.restart === false || this.child !== child) return;
        this.attempts = Date.now() - started > 30_000 ? 1 : this.attempts + 1;
        const delayMs = Math.min(30_000, 250 * 2 ** (this.attempts - 1));
        this.onEvent({ type: 'restart', name: this.spec.name, attempt: this.attempts, delayMs });
        setTimeout(() => {
          if (!this.stopping) this.spawnOnce();
        }, delayMs).unref();
      });
    });
    child.once('error', (err) => {
      this.log?.write(`[sentinel] could not start ${this.spec.command}: ${err.message}\n`);
    });
  }

  async waitReady(): Promise<void> {
    const deadline = Date.now() + (this.spec.readyTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      if (await this.spec.ready().catch(() => false)) return;
      if (this.child && this.child.exitCode !== null && this.spec.restart === false) break;
      await sleep(50);
    }
    throw new Error(
      `${this.spec.name} did not become ready within ${this.spec.readyTimeoutMs ?? 20_000} ms; see ${this.spec.logFile}`,
    );
  }

  /** Kill without restarting (SIGKILL by default): for failure tests. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.stopping = true;
    this.child?.kill(signal);
    await this.exited;
  }

  /** Stop gracefully, then force after the timeout. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(this.spec.stopSignal ?? 'SIGTERM');
    const timeout = sleep(this.spec.stopTimeoutMs ?? 10_000).then(() => 'timeout' as const);
    if ((await Promise.race([this.exited.then(() => 'done' as const), timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
    }
    this.log?.end();
    this.log = undefined;
  }
}
