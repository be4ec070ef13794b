// The `sentinel` command as the integration tests run it: a real child process whose stdout and stderr
// are collected together.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@sentinel/infra';

export const SENTINEL_BIN = fileURLToPath(new URL('../../../bin/sentinel.mjs', import.meta.url));

export interface SentinelProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  out(): string;
  exited: Promise<number | null>;
  /** Wait until the output shows `text`, or the process has exited (the caller checks which). */
  printed(text: string, timeoutMs: number, intervalMs?: number): Promise<void>;
}

/** This environment without SENTINEL_*: the calling shell's would override a test's sentinel.yaml. */
export function envWithoutSentinel(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SENTINEL_')));
}

export function runSentinel(
  args: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): SentinelProcess {
  let out = '';
  const child = spawn(process.execPath, [SENTINEL_BIN, ...args], {
    ...(o.cwd ? { cwd: o.cwd } : {}),
    env: o.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const printed = async (text: string, timeoutMs: number, intervalMs?: number): Promise<void> => {
    await waitFor(`"${text}"`, () => out.includes(text) || child.exitCode !== null, {
      timeoutMs,
      ...(intervalMs ? { intervalMs } : {}),
    });
  };
  return { child, out: () => out, exited, printed };
}
