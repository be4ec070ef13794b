#!/usr/bin/env node
// `npm test`: lint, typecheck and unit tests of every package, then the integration tests (real
// nats-server, chDB, MariaDB, Mosquitto, rsyslog, Chromium), then one closing line for the whole run:
//   tests: N passed, N failed, N skipped
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(root, '.sentinel', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', FORCE_COLOR: '0' };
const turbo = join(root, 'node_modules', '.bin', 'turbo');
const started = Date.now();

function phase(title, tasks, concurrency) {
  process.stderr.write(`\n[test] ${title}\n`);
  const r = spawnSync(
    turbo,
    [
      'run',
      ...tasks,
      `--concurrency=${concurrency}`,
      '--continue',
      '--output-logs=new-only',
      '--log-order=grouped',
    ],
    { stdio: 'inherit', cwd: root, env },
  );
  return r.status === 0;
}

const checksOk = phase('lint, typecheck and unit tests', ['lint', 'typecheck', 'test:unit'], 2);
const integrationOk = phase(
  'integration tests',
  ['test:integration'],
  process.env.SENTINEL_TEST_CONCURRENCY ?? 2,
);

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const f of existsSync(resultsDir) ? readdirSync(resultsDir) : []) {
  if (!f.endsWith('.json')) continue;
  const report = JSON.parse(readFileSync(join(resultsDir, f), 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'failed') failures.push(`${f.replace(/\.json$/, '')}: ${t.fullName}`);
    }
  }
}
const minutes = ((Date.now() - started) / 60000).toFixed(1);
process.stderr.write(`\n[test] finished in ${minutes} min\n`);
if (failures.length > 0) process.stderr.write(`[test] failed:\n  ${failures.join('\n  ')}\n`);
if (!checksOk) process.stderr.write('[test] lint, typecheck or unit tests failed: see the output above\n');
if (!integrationOk) process.stderr.write('[test] integration tests failed: see the output above\n');
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(checksOk && integrationOk && failed === 0 ? 0 : 1);
