#!/usr/bin/env node
// Installs what a command needs on a fresh machine: npm packages, then the Debian packages listed in
// infra/system-deps.json for that command. Uses only Node built-ins, because it runs before `npm install`.
//
//   node scripts/ensure.mjs <start|test|bench|demo>
//
// As root it runs `apt-get update` once and `apt-get install` for what is missing; otherwise it prints
// exactly what to install and stops.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const purpose = process.argv[2] ?? 'start';
const stateDir = join(root, '.sentinel');

function log(line) {
  process.stderr.write(`[ensure] ${line}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function onPath(binary) {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin']);
  return dirs.some((d) => d && existsSync(join(d, binary)));
}

function installed(pkg) {
  if (pkg.binaries.length > 0) return pkg.binaries.every(onPath);
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg.debian], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function lockDigest() {
  const files = ['package.json', 'package-lock.json'];
  for (const dir of JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? []) {
    files.push(join(dir, 'package.json'));
  }
  const h = createHash('sha256');
  for (const f of files) {
    const p = join(root, f);
    if (existsSync(p)) h.update(f).update(readFileSync(p));
  }
  return h.digest('hex');
}

function ensureNpm() {
  mkdirSync(stateDir, { recursive: true });
  const marker = join(stateDir, 'npm-installed');
  const digest = lockDigest();
  const have = existsSync(marker) ? readFileSync(marker, 'utf8').trim() : '';
  if (have === digest && existsSync(join(root, 'node_modules', '.bin', 'tsx'))) return;
  // `npm install` rather than `npm ci`: it follows package-lock.json just the same, and `npm ci` refuses
  // lock files that lack other platforms' optional binaries (npm/cli#4828).
  log('installing npm packages (npm install) ...');
  const code = run('npm', ['install', '--no-audit', '--no-fund']);
  if (code !== 0) {
    log('npm install failed; see the output above. Check that the npm registry is reachable.');
    process.exit(code);
  }
  writeFileSync(marker, lockDigest() + '\n');
}

function ensureSystem() {
  const deps = JSON.parse(readFileSync(join(root, 'infra', 'system-deps.json'), 'utf8'));
  const missing = deps.packages.filter((p) => p.for.includes(purpose) && !installed(p));
  if (missing.length === 0) return;
  const names = [...new Set(missing.map((p) => p.debian))];
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get')) {
    log(`missing system packages: ${names.join(', ')}`);
    log(`install them with:  sudo apt-get update && sudo apt-get install -y ${names.join(' ')}`);
    process.exit(3);
  }
  log(`installing Debian packages: ${names.join(', ')} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (run('apt-get', ['update', '-qq'], { env }) !== 0) {
    log('apt-get update failed; check that the Debian mirrors are reachable.');
    process.exit(4);
  }
  const code = run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env });
  if (code !== 0) {
    log(`apt-get install ${names.join(' ')} failed; see above.`);
    process.exit(code);
  }
  // Debian starts some services on install; Sentinel runs its own instances on its own ports.
  for (const p of missing) {
    for (const svc of p.stopServices ?? []) spawnSync('service', [svc, 'stop'], { stdio: 'ignore' });
  }
}

/** The newest modification time under a folder (files only), 0 when it does not exist. */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** The api serves the console from web/dist: build it when it is missing or older than its sources. */
function ensureConsole() {
  const web = join(root, 'web');
  const built = join(web, 'dist', 'index.html');
  const stale = !existsSync(built) || newest(join(web, 'src')) > statSync(built).mtimeMs;
  if (!stale) return;
  log('building the analyst console (web/dist) ...');
  const code = run('npm', ['run', 'build', '-w', 'web']);
  if (code !== 0) {
    log('building the console failed; see above. The api still runs, without the console at /.');
  }
}

ensureNpm();
ensureSystem();
if (purpose === 'start' || purpose === 'demo') ensureConsole();
