// The fleet demo: the whole stack, N devices with their own credentials connected through the enforcement
// node and subscribed to their own alert topic, an alert publisher fanning out ~600 alerts/s, and a
// delivery summary that proves each device got only its own alerts, with latency percentiles.
import { resolve } from 'node:path';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { nanos } from '@nats-io/nats-core';
import { connectNats } from '@sentinel/ingest';
import { openAuthDb, populateDevices, readCredentials } from '@sentinel/infra';
import type { SentinelConfig } from '../config.ts';
import { services } from '../registry.ts';
import { startStack } from '../stack.ts';
import { AlertPublisher, Fleet } from './fleet.ts';
import type { AlertRecorder } from './fleet.ts';
import type { DeviceCredential } from './protocol.ts';

/**
 * Alert history in JetStream: every alert for clients/<id>/alerts on `clients.<id>.alerts`, kept 72 hours.
 * With nats-server as the core broker its MQTT layer puts each alert there; with Mosquitto the alert
 * publisher records each alert there before sending it.
 */
export const ALERTS_STREAM = 'SENTINEL_ALERTS';
const ALERTS_SUBJECTS = ['clients.*.alerts'];
/** Devices beyond the fleet that `sentinel inject` plays as attackers with valid credentials. */
export const SPARE_DEVICES = 20;
/** Source addresses: the fleet connects from 127.20.0.0/16; inject uses other blocks. */
export const FLEET_ADDRESS_BLOCK = 20;

export interface DemoOptions {
  devices: number;
  durationS: number;
  rate: number;
  /** Devices per fleet process (the per-process file limit is 20,000). */
  perProcess: number;
  /** Keep running after the summary until Ctrl-C (for `sentinel inject` and dashboards). */
  keep: boolean;
  /** Use a stack that is already running (`sentinel up`) instead of starting one. */
  attach: boolean;
  /** Connect the devices straight to the core broker, bypassing the enforcement node (the peer run). */
  direct?: boolean;
  /** The core broker to run; defaults to `stack.coreBroker` of the configuration. */
  coreBroker?: SentinelConfig['stack']['coreBroker'];
  /** Ctrl-C: stop the traffic early, print the summary, and stop the stack cleanly. */
  signal?: AbortSignal;
  log: (line: string) => void;
}

export interface DemoResult {
  devices: number;
  connected: number;
  failed: number;
  rampUpS: number;
  sent: number;
  delivered: number;
  duplicates: number;
  misrouted: number;
  missing: number;
  ratePerS: number;
  p50: number;
  p95: number;
  p99: number;
  historyMessages: number;
  /** Alerts the history refused (not sent); only with a core broker other than nats-server. */
  historyFailures: number;
  coreBroker: SentinelConfig['stack']['coreBroker'];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** The stack the demo runs: enough enforcement workers that no process nears the file limit. */
export function demoConfig(
  config: SentinelConfig,
  devices: number,
  coreBroker: SentinelConfig['stack']['coreBroker'] = config.stack.coreBroker,
): SentinelConfig {
  const workers = Math.max(config.enforcement.workers, Math.ceil(devices / 6000));
  // The demo prints its own progress; the components only speak up for warnings.
  const log = { level: config.log.level === 'debug' ? config.log.level : ('warn' as const) };
  return {
    ...config,
    log,
    stack: { ...config.stack, coreBroker },
    enforcement: { ...config.enforcement, workers },
  };
}

/** Subject of a device's alerts in the history stream (an MQTT topic level becomes a subject token). */
export function alertSubject(clientId: string): string {
  if (/[.*>\s]/.test(clientId))
    throw new Error(`client id ${JSON.stringify(clientId)} cannot be a subject token`);
  return `clients.${clientId}.alerts`;
}

export async function ensureAlertsStream(nc: NatsConnection, replicas: number): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const cfg = {
    name: ALERTS_STREAM,
    subjects: ALERTS_SUBJECTS,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: nanos(72 * 3_600_000),
    num_replicas: replicas,
    description: 'Alert history of the demo fleet (clients/<id>/alerts), 72 hours.',
  };
  try {
    await jsm.streams.info(ALERTS_STREAM);
    await jsm.streams.update(ALERTS_STREAM, cfg);
  } catch {
    await jsm.streams.add(cfg);
  }
}

async function credentials(
  config: SentinelConfig,
  count: number,
  log: (l: string) => void,
): Promise<DeviceCredential[]> {
  const file = resolve(config.dataDir, config.authService.credentialsFile);
  const pool = await openAuthDb(config.authService.db);
  try {
    log(`creating ${count} device credentials in the reference auth service ...`);
    const r = await populateDevices({
      pool,
      count,
      file,
      onProgress: (done, total) => log(`  ${done}/${total} credentials`),
    });
    log(
      `  done in ${(r.elapsedMs / 1000).toFixed(1)} s (secrets in ${config.dataDir}/${config.authService.credentialsFile}, mode 0600)`,
    );
  } finally {
    await pool.end();
  }
  return readCredentials(file);
}

export async function runDemo(baseConfig: SentinelConfig, o: DemoOptions): Promise<DemoResult> {
  const config = demoConfig(baseConfig, o.devices, o.coreBroker);
  const stopStack = o.attach ? async () => undefined : await startStack(config, services);
  const nc = await connectNats(config.nats, { component: 'demo' });
  let fleet: Fleet | undefined;
  let publisher: AlertPublisher | undefined;
  try {
    await ensureAlertsStream(nc, config.nats.replicas);
    const all = await credentials(config, o.devices + SPARE_DEVICES, o.log);
    const devices = all.slice(0, o.devices);
    o.log(
      `starting ${o.devices} devices in ${Math.ceil(o.devices / o.perProcess)} process(es) through mqtt://127.0.0.1:${config.enforcement.tcp.port} ...`,
    );
    fleet = new Fleet({
      port: config.enforcement.tcp.port,
      devices,
      perProcess: o.perProcess,
      perAddress: 25,
      addressBlock: FLEET_ADDRESS_BLOCK,
      concurrency: 25,
      rampTimeoutMs: 60_000 + o.devices * 20,
    });
    const rampStart = performance.now();
    let lastLine = 0;
    const subscribedIds = await fleet.start((t) => {
      if (performance.now() - lastLine < 2000) return;
      lastLine = performance.now();
      o.log(
        `  ${t.subscribed}/${o.devices} subscribed, ${t.refusals} refusals retried${t.lastError ? ` (last: ${t.lastError})` : ''}`,
      );
    });
    const rampUpS = (performance.now() - rampStart) / 1000;
    const ready = await fleet.report();
    o.log(`  ${ready.subscribed}/${o.devices} devices subscribed in ${rampUpS.toFixed(1)} s`);
    if (subscribedIds.length === 0)
      throw new Error(`no device could subscribe (last error: ${ready.lastError})`);

    // Alerts go only to devices that are subscribed: a clean-session device that is not would never get them.
    const subscribedSet = new Set(subscribedIds);
    const coreUrl = `mqtt://127.0.0.1:${config.stack.coreMqttPort}`;
    const js = jetstream(nc);
    const record: AlertRecorder | undefined =
      config.stack.coreBroker === 'nats' ? undefined : (id, payload) => js.publish(alertSubject(id), payload);
    publisher = new AlertPublisher(
      coreUrl,
      devices.filter((d) => subscribedSet.has(d.clientId)),
      o.rate,
      record,
    );
    o.log(
      `publishing ${o.rate} alerts/s to clients/<id>/alerts on the core broker (${config.stack.coreBroker}) for ${o.durationS} s ...`,
    );
    await publisher.start();
    const latencies: number[] = [];
    let delivered = 0;
    let misrouted = 0;
    let duplicates = 0;
    const collect = async (): Promise<void> => {
      const r = await (fleet as Fleet).report();
      delivered = r.received;
      misrouted = r.misrouted;
      duplicates = r.duplicates;
      for (const l of r.latencies) latencies.push(l);
    };
    const until = performance.now() + o.durationS * 1000;
    while (performance.now() < until && !o.signal?.aborted) {
      await sleepOrAbort(Math.min(5000, until - performance.now()), o.signal);
      await collect();
      const s = [...latencies].sort((a, b) => a - b);
      o.log(
        `  ${publisher.sent} sent, ${delivered} delivered, ${misrouted} misrouted, P99 ${percentile(s, 99).toFixed(1)} ms`,
      );
    }
    await publisher.stop();
    const ratePerS = publisher.achievedRate();
    const deadline = performance.now() + 10_000;
    while (delivered < publisher.sent && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      await collect();
    }
    latencies.sort((a, b) => a - b);
    const history = (await (await jetstreamManager(nc)).streams.info(ALERTS_STREAM)).state.messages;
    const result: DemoResult = {
      devices: o.devices,
      connected: ready.subscribed,
      failed: ready.failed,
      rampUpS,
      sent: publisher.sent,
      delivered,
      duplicates,
      misrouted,
      missing: Math.max(0, publisher.sent - delivered),
      ratePerS,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      historyMessages: history,
      historyFailures: publisher.historyFailures,
      coreBroker: config.stack.coreBroker,
    };
    printSummary(result, o);
    if (o.keep && !o.signal?.aborted) {
      o.log('\nThe demo keeps running: try `sentinel inject` in another terminal. Ctrl-C stops it.');
      await publisher.start();
      await sleepOrAbort(Number.POSITIVE_INFINITY, o.signal);
    }
    return result;
  } finally {
    await publisher?.stop().catch(() => undefined);
    await fleet?.stop();
    await nc.close();
    await stopStack();
  }
}

function sleepOrAbort(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = Number.isFinite(ms) ? setTimeout(resolve, ms) : undefined;
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function printSummary(r: DemoResult, o: DemoOptions): void {
  const pct = r.sent > 0 ? ((100 * r.delivered) / r.sent).toFixed(2) : '0.00';
  const lines = [
    '',
    `Sentinel demo — ${r.devices} devices, ${o.durationS} s at ${o.rate} alerts/s, core broker ${r.coreBroker}`,
    `  devices subscribed  ${r.connected} / ${r.devices} (ramp-up ${r.rampUpS.toFixed(1)} s, ${r.failed} failed)`,
    `  alerts sent         ${r.sent} (${r.ratePerS.toFixed(1)}/s)`,
    `  alerts delivered    ${r.delivered} (${pct} %), ${r.missing} missing, ${r.duplicates} duplicates`,
    `  misrouted alerts    ${r.misrouted}`,
    `  delivery latency    P50 ${r.p50.toFixed(2)} ms   P95 ${r.p95.toFixed(2)} ms   P99 ${r.p99.toFixed(2)} ms`,
    `  alert history       ${ALERTS_STREAM} holds ${r.historyMessages} messages (72 h retention)${r.historyFailures ? `, ${r.historyFailures} refused` : ''}`,
  ];
  for (const l of lines) o.log(l);
}
