#!/usr/bin/env node
// npm run bench -- <suite> [<suite> ...]
// Runs bench/<suite>.ts through tsx. Progress goes to stderr; stdout carries one JSON object per line:
// {"suite":"ingest","metric":"publish_events_per_s","value":123456,"unit":"events/s"}
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suites = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
const wanted = process.argv.slice(2).filter((a) => a !== '--');
if (wanted.length === 0) {
  process.stderr.write(`usage: npm run bench -- <suite>   (suites: ${suites.join(', ')})\n`);
  process.exit(2);
}
for (const suite of wanted) {
  const file = join(here, `${suite}.ts`);
  if (!existsSync(file)) {
    process.stderr.write(`unknown bench suite "${suite}"; known: ${suites.join(', ')}\n`);
    process.exit(2);
  }
  process.stderr.write(`[bench] ${suite}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    stdio: 'inherit',
    cwd: join(here, '..'),
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
