// The Grafana dashboards against the running demo, as an operator would see them: `sentinel demo --keep`
// on free ports with a small fleet, `sentinel bridge` to a Mosquitto origin over WSS, every scenario of
// `sentinel inject`, the nats exporter, and a real Prometheus (Debian package) with the shipped
// prometheus.yml and alerts.yml (only the targets rewritten to this run's ports). Every panel query of
// both dashboards is sent the way Grafana sends it and must return data.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  createTestPki,
  getFreePort,
  startMosquitto,
  startPrometheus,
  tempDir,
  waitFor,
} from '@sentinel/infra';
import type { MosquittoServer, PrometheusServer } from '@sentinel/infra';
import {
  DASHBOARD_FILES,
  evaluatePanelRequest,
  loadDashboard,
  packagePath,
  panelRequests,
  startNatsExporter,
} from '@sentinel/dashboards';
import type { NatsExporter, PanelRequest, PanelResult } from '@sentinel/dashboards';
import { freePortConfig } from '../../free-ports.ts';
import { envWithoutSentinel, runSentinel } from '../support/sentinel.ts';
import type { SentinelProcess } from '../support/sentinel.ts';

const asRoot = process.getuid?.() === 0 ? { user: 'root' } : {};
const execFileP = promisify(execFile);

async function stop(p: SentinelProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
  await p.exited;
  clearTimeout(killer);
}

async function promtool(args: string[], cwd: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await execFileP('promtool', args, { cwd });
    return { ok: true, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

/** Every process below `pid` (fleet workers, nats-server, mariadbd, ...). */
async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await execFileP('ps', ['-eo', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const line of stdout.trim().split('\n')) {
    const [c, p] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(p, [...(children.get(p) ?? []), c]);
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Running (a zombie waiting for its parent to reap it is gone for our purpose). */
function isAlive(pid: number): boolean {
  try {
    return !/^Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '');
  } catch {
    return false;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

interface PromConfig {
  global: { scrape_interval: string };
  rule_files: string[];
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

/** The shipped prometheus.yml with only its targets moved to this run's ports and rule files made absolute. */
function rewrittenPrometheusConfig(ports: Record<string, number>): PromConfig {
  const cfg = parse(readFileSync(packagePath('prometheus/prometheus.yml'), 'utf8')) as PromConfig;
  cfg.rule_files = cfg.rule_files.map((f) => packagePath(`prometheus/${f}`));
  for (const sc of cfg.scrape_configs) {
    const port = ports[sc.job_name];
    // A job this test does not know would go unscraped and its panels would fail for the wrong reason.
    if (port === undefined) throw new Error(`no target for the shipped scrape job ${sc.job_name}`);
    sc.static_configs = [{ targets: [`127.0.0.1:${port}`] }];
  }
  return cfg;
}

describe('the Grafana dashboards against the running demo with attacks injected', () => {
  const t = tempDir('sentinel-dashboards-demo-');
  const promDir = join(t.dir, 'prometheus');
  let file: string;
  let ports: Map<string, number>;
  let origin: MosquittoServer | undefined;
  let exporter: NatsExporter | undefined;
  let prometheus: PrometheusServer | undefined;
  let promUrl: string;
  let scrapeInterval: string;
  let demo: SentinelProcess | undefined;
  let bridge: SentinelProcess | undefined;
  let apiUrl: string;
  let token: string;
  let consoleTimer: NodeJS.Timeout | undefined;
  let injectOutput = '';

  beforeAll(async () => {
    const pki = await createTestPki(join(t.dir, 'pki'));
    origin = await startMosquitto({
      dir: join(t.dir, 'origin'),
      websocket: { tls: { certFile: pki.serverCert, keyFile: pki.serverKey } },
      ...asRoot,
    });
    const free = await freePortConfig(join(t.dir, 'state'));
    ports = free.ports;
    const port = (key: string): number => {
      const p = ports.get(key);
      if (p === undefined) throw new Error(`freePortConfig gave no ${key}`);
      return p;
    };
    const yaml = free.yaml as Record<string, Record<string, unknown>>;
    // A SIEM sink, so `sentinel export` runs in the stack and the export job has something to report.
    yaml.export = {
      ...yaml.export,
      sinks: [{ name: 'siem', kind: 'file', format: 'json', path: join(t.dir, 'siem.ndjson') }],
    };
    // The bridge from the demo's core broker (nats-server MQTT, 3.1.1) to the customer origin over WSS.
    yaml.bridge = {
      ...yaml.bridge,
      deploymentId: 'dashboards-test',
      core: {
        url: `mqtt://127.0.0.1:${port('stack.coreMqttPort')}`,
        protocolVersion: 4,
        clientId: 'dash-core',
      },
      origin: { url: `${origin.wsUrl}/mqtt`, caFile: pki.caCert, clientId: 'dash-origin' },
      rules: [{ direction: 'out', from: 'clients/+/alerts', to: 'customer/acme/alerts/{1}' }],
    };
    file = join(t.dir, 'sentinel.yaml');
    writeFileSync(file, stringify(yaml));

    exporter = await startNatsExporter({
      monitorUrl: `http://127.0.0.1:${port('stack.natsMonitorPort')}`,
      port: await getFreePort(),
    });
    const cfg = rewrittenPrometheusConfig({
      enforcement: port('enforcement.metricsPort'),
      api: port('api.port'),
      export: port('export.metricsPort'),
      bridge: port('bridge.metrics.port'),
      nats: Number(new URL(exporter.url).port),
    });
    scrapeInterval = cfg.global.scrape_interval;
    mkdirSync(promDir, { recursive: true });
    writeFileSync(join(promDir, 'prometheus.yml'), stringify(cfg));

    // Prometheus first, so it scrapes the stack from its first second.
    prometheus = await startPrometheus({ dir: promDir, configFile: join(promDir, 'prometheus.yml') });
    promUrl = prometheus.url;

    demo = runSentinel(
      [
        '--config',
        file,
        'demo',
        '--devices',
        '300',
        '--per-process',
        '150',
        '--duration',
        '5',
        '--rate',
        '300',
        '--keep',
      ],
      { cwd: t.dir, env: envWithoutSentinel() },
    );
    await demo.printed('keeps running', 90_000, 250);
    expect(demo.child.exitCode, demo.out()).toBeNull();
    apiUrl = `http://127.0.0.1:${port('api.port')}`;
    token = /Admin token\s+(\S+)/.exec(demo.out())?.[1] ?? '';
    // An analyst with the console open: its overview page reloads /api/v1/overview every 5 s.
    consoleTimer = setInterval(() => {
      void fetch(`${apiUrl}/api/v1/overview`, { headers: { authorization: `Bearer ${token}` } })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined);
    }, 5000);

    bridge = runSentinel(['--config', file, 'bridge'], { cwd: t.dir, env: envWithoutSentinel() });
    await waitFor(
      'the bridge connected on both sides',
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port('bridge.metrics.port')}/metrics`)).text();
        return /^bridge_messages_persisted\{direction="out"\} [1-9]/m.test(text);
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
  }, 150_000);

  afterAll(async () => {
    clearInterval(consoleTimer);
    await stop(bridge, 'SIGTERM');
    await stop(demo, 'SIGINT');
    await prometheus?.stop();
    await exporter?.close();
    await origin?.stop();
    t.cleanup();
  }, 120_000);

  it('promtool accepts the shipped configuration, the rewritten one and the alert rules', async () => {
    const shipped = await promtool(['check', 'config', 'prometheus.yml'], packagePath('prometheus'));
    expect(shipped.out).toContain('SUCCESS');
    expect(shipped.ok).toBe(true);
    const rewritten = await promtool(['check', 'config', join(promDir, 'prometheus.yml')], promDir);
    expect(rewritten.out).toContain('SUCCESS');
    expect(rewritten.ok).toBe(true);
    const rules = await promtool(['check', 'rules', 'alerts.yml'], packagePath('prometheus'));
    expect(rules.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(rules.ok).toBe(true);
  });

  it('Prometheus scrapes every job of the shipped configuration from the demo before the attacks', async () => {
    const jobs = await waitFor(
      'every target up',
      async () => {
        const r = await fetch(`${promUrl}/api/v1/targets?state=active`);
        const body = (await r.json()) as {
          data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] };
        };
        const targets = body.data.activeTargets;
        return targets.every((x) => x.health === 'up') ? targets.map((x) => x.labels.job).sort() : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 1000 },
    );
    expect(jobs).toEqual(['api', 'bridge', 'enforcement', 'export', 'nats']);
  }, 60_000);

  it('sentinel inject attacks the running demo and the api shows the incidents it opened', async () => {
    const inject = runSentinel(['--config', file, 'inject'], { cwd: t.dir, env: envWithoutSentinel() });
    const code = await inject.exited;
    injectOutput = inject.out();
    // Detection of each scenario is the demo test's to prove; here the attacks must have run to the end.
    expect(inject.out(), inject.out()).toMatch(/\n\d\/7 scenarios detected\n/);
    expect(code === 0 || code === 1, inject.out()).toBe(true);
    // What an analyst's console asks the api for after an attack (and what the API panels then show).
    expect(token, 'the demo prints the bootstrap admin token once').not.toBe('');
    const r = await fetch(`${apiUrl}/api/v1/incidents`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { items: { rule: string }[] };
    expect(body.items.length, 'incidents in the api').toBeGreaterThan(0);
  }, 120_000);

  it('every panel query of both dashboards returns data, sent the way Grafana sends it', async () => {
    type Evaluated = { r: PanelRequest; res: PanelResult | Error }[];
    const evaluate = async (): Promise<Evaluated> => {
      const now = Date.now();
      const requests = DASHBOARD_FILES.flatMap((f) =>
        panelRequests(loadDashboard(f), { now, scrapeInterval }),
      );
      return Promise.all(
        requests.map(async (r) => ({
          r,
          res: await evaluatePanelRequest(promUrl, r).catch((e: unknown) => e as Error),
        })),
      );
    };
    const name = (r: PanelRequest): string => `${r.dashboard} / ${r.panel}`;
    // A query without a finite sample draws nothing.
    const empty = (rs: Evaluated): string[] =>
      rs
        .filter(({ res }) => res instanceof Error || res.finiteSamples === 0)
        .map(
          ({ r, res }) =>
            `${name(r)} / ${r.refId}: ${r.expr}${res instanceof Error ? ` (${res.message})` : ''}`,
        );
    // The attacks ran a minute ago: every security panel must show them, not a flat zero.
    const flat = (rs: Evaluated): string[] => {
      const security = rs.filter(({ r }) => r.dashboard === 'sentinel-security');
      const panels = [...new Set(security.map(({ r }) => r.panel))];
      return panels
        .filter((p) =>
          security.every(
            ({ r, res }) =>
              r.panel !== p ||
              res instanceof Error ||
              // a stat shows its last value; a graph or table shows them all
              (r.panelType === 'stat' ? !res.lastNonZero : res.nonZeroSamples === 0),
          ),
        )
        .map(
          (p) =>
            `sentinel-security / ${p}: ${security
              .filter(({ r }) => r.panel === p)
              .map(({ r }) => r.expr)
              .join(' ; ')}`,
        );
    };
    let results = await evaluate();
    // Counters born during the attacks need two scrapes before rate() and increase() answer.
    const deadline = Date.now() + 60_000;
    while (empty(results).length + flat(results).length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2000));
      results = await evaluate();
    }
    for (const { r } of results) expect(r.datasource, name(r)).toBe('prometheus');
    expect(results.length).toBeGreaterThan(40);
    expect(empty(results), 'panel queries without data').toEqual([]);
    expect(flat(results), `security panels that show no attack after:\n${injectOutput}`).toEqual([]);
  }, 90_000);

  it('Prometheus evaluates every shipped alert rule against the demo without an error', async () => {
    const rules = await waitFor(
      'every rule evaluated',
      async () => {
        const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as {
          data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
        };
        const all = body.data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    const rulesFile = readFileSync(packagePath('prometheus/alerts.yml'), 'utf8');
    expect(rules.length).toBe(rulesFile.match(/^\s+- alert: /gm)?.length);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
  }, 60_000);

  it('each row of the security event log is backed by decision events in the api', async () => {
    const security = panelRequests(loadDashboard('sentinel-security.json'), {
      now: Date.now(),
      scrapeInterval,
    });
    const log = security.find((r) => r.panelType === 'table');
    expect(log).toBeDefined();
    const res = await fetch(
      `${promUrl}/api/v1/query?${new URLSearchParams({ query: (log as PanelRequest).expr })}`,
    );
    const rows = (
      (await res.json()) as { data: { result: { metric: { kind: string; decision: string } }[] } }
    ).data.result;
    expect(rows.length).toBeGreaterThan(0);
    expect(token).not.toBe('');
    for (const { metric } of rows) {
      const q = new URLSearchParams({ kind: metric.kind, decision: metric.decision, limit: '5' });
      const r = await fetch(`${apiUrl}/api/v1/events?${q}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.status, `${metric.kind} ${metric.decision}`).toBe(200);
      const body = (await r.json()) as { items: { kind: string; decision: string }[] };
      expect(body.items.length, `events ${metric.kind}/${metric.decision} in the api`).toBeGreaterThan(0);
    }
  });

  it('stops the demo, the bridge and Prometheus and leaves no process behind', async () => {
    clearInterval(consoleTimer);
    const started = new Map<number, string>();
    for (const pid of [
      ...(await descendants(demo?.child.pid as number)),
      ...(await descendants(bridge?.child.pid as number)),
      prometheus?.child.pid as number,
    ]) {
      started.set(pid, commandLine(pid));
    }
    // the demo runs nats-server, mariadbd and the fleet processes below it
    expect([...started.values()].join('\n')).toMatch(/nats-server[\s\S]*mariadbd|mariadbd[\s\S]*nats-server/);
    await stop(bridge, 'SIGTERM');
    expect(bridge?.child.exitCode).toBe(0);
    await stop(demo, 'SIGINT');
    expect(demo?.child.exitCode, demo?.out()).toBe(0);
    await prometheus?.stop();
    await origin?.stop();
    // A process that is exiting may still be listed for a moment.
    const left = await waitFor(
      'every process started by the test gone',
      () => {
        const alive = [...started].filter(([pid]) => isAlive(pid));
        return alive.length === 0 ? alive : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    ).catch(() => [...started].filter(([pid]) => isAlive(pid)));
    expect(left.map(([pid, args]) => `${pid} ${args}`)).toEqual([]);
    const { stdout } = await execFileP('ps', ['-eo', 'pid,args']);
    expect(stdout.split('\n').filter((l) => l.includes(t.dir))).toEqual([]);
  }, 120_000);
});
