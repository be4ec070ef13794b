// npm run bench -- demo
// The fleet demo as a benchmark: the whole stack on free ports, 10,000 devices (SENTINEL_BENCH_DEVICES)
// connected through the enforcement node from many loopback addresses, each subscribed with QoS 1 to its
// own alert topic, and 600 alerts/s (SENTINEL_BENCH_RATE) fanned out for 60 s (SENTINEL_BENCH_SECONDS).
//
// Three runs, one after the other in the same process:
//   1. the peer: the same fleet straight to the demo's core broker (Mosquitto), no enforcement node;
//   2. the demo as `npm run demo` runs it: through the node, Mosquitto as the core broker — the
//      unsuffixed metrics;
//   3. through the node with nats-server's MQTT listener as the core broker (`--core-broker nats`, the
//      `sentinel up` default) — the `_core_nats` metrics. SENTINEL_BENCH_CORE_NATS=0 skips it.
import { join } from 'node:path';
import { parseConfig } from '@sentinel/ingest';
import { tempDir } from '@sentinel/infra';
import { stringify } from 'yaml';
import { sentinelConfigSchema } from '../cli/config.ts';
import { runDemo } from '../cli/demo/demo.ts';
import type { DemoResult } from '../cli/demo/demo.ts';
import { freePortConfig } from '../cli/free-ports.ts';
import { metric, progress } from './_report.ts';

const SUITE = 'demo';
const devices = Number(process.env.SENTINEL_BENCH_DEVICES ?? 10_000);
const rate = Number(process.env.SENTINEL_BENCH_RATE ?? 600);
const seconds = Number(process.env.SENTINEL_BENCH_SECONDS ?? 60);
const coreNats = process.env.SENTINEL_BENCH_CORE_NATS !== '0';

async function once(direct: boolean, coreBroker: 'nats' | 'mosquitto'): Promise<DemoResult> {
  const t = tempDir('sentinel-bench-demo-');
  try {
    const { yaml } = await freePortConfig(join(t.dir, 'state'));
    const config = parseConfig(sentinelConfigSchema, { yamlText: stringify(yaml), yamlName: 'bench config' });
    progress(
      SUITE,
      `${devices} devices ${direct ? 'straight to the core broker' : 'through the enforcement node'} (${coreBroker}), ${rate} alerts/s for ${seconds} s`,
    );
    return await runDemo(config, {
      devices,
      durationS: seconds,
      rate,
      perProcess: 5000,
      keep: false,
      attach: false,
      direct,
      coreBroker,
      log: (line) => progress(SUITE, line),
    });
  } finally {
    t.cleanup();
  }
}

function report(r: DemoResult, suffix: string): void {
  metric(SUITE, `devices_subscribed${suffix}`, r.connected, 'devices');
  metric(SUITE, `ramp_up_s${suffix}`, r.rampUpS, 's');
  metric(SUITE, `alerts_per_s${suffix}`, r.ratePerS, 'alerts/s');
  metric(SUITE, `alerts_delivered_ratio${suffix}`, r.sent > 0 ? r.delivered / r.sent : 0, 'ratio');
  metric(SUITE, `alert_delivery_p50_ms${suffix}`, r.p50, 'ms');
  metric(SUITE, `alert_delivery_p95_ms${suffix}`, r.p95, 'ms');
  metric(SUITE, `alert_delivery_p99_ms${suffix}`, r.p99, 'ms');
  metric(SUITE, `misrouted_alerts${suffix}`, r.misrouted, 'alerts');
  metric(SUITE, `alert_history_messages${suffix}`, r.historyMessages, 'messages');
}

// The peer first: the same fleet and alerts with no enforcement node, so the ratio is from one run.
const peer = await once(true, 'mosquitto');
const r = await once(false, 'mosquitto');
report(r, '');
report(peer, '_direct');
if (r.p99 > 0 && peer.p99 > 0) metric(SUITE, 'alert_delivery_p99_ratio_vs_direct', r.p99 / peer.p99, 'ratio');
if (coreNats) report(await once(false, 'nats'), '_core_nats');
