// npm run bench -- demo
// The fleet demo as a benchmark: the whole stack on free ports, 10,000 devices (SENTINEL_BENCH_DEVICES)
// connected through the enforcement node from many loopback addresses, each subscribed with QoS 1 to its
// own alert topic, and 600 alerts/s (SENTINEL_BENCH_RATE) fanned out for 60 s (SENTINEL_BENCH_SECONDS).
import { join } from 'node:path';
import { parseConfig } from '@sentinel/ingest';
import { tempDir } from '@sentinel/infra';
import { stringify } from 'yaml';
import { sentinelConfigSchema } from '../cli/config.ts';
import { runDemo } from '../cli/demo/demo.ts';
import { freePortConfig } from '../cli/free-ports.ts';
import { metric, progress } from './_report.ts';

const SUITE = 'demo';
const devices = Number(process.env.SENTINEL_BENCH_DEVICES ?? 10_000);
const rate = Number(process.env.SENTINEL_BENCH_RATE ?? 600);
const seconds = Number(process.env.SENTINEL_BENCH_SECONDS ?? 60);

async function once(direct: boolean) {
  const t = tempDir('sentinel-bench-demo-');
  try {
    const { yaml } = await freePortConfig(join(t.dir, 'state'));
    const config = parseConfig(sentinelConfigSchema, { yamlText: stringify(yaml), yamlName: 'bench config' });
    progress(
      SUITE,
      `${devices} devices ${direct ? 'straight to the core broker' : 'through the enforcement node'}, ${rate} alerts/s for ${seconds} s`,
    );
    return await runDemo(config, {
      devices,
      durationS: seconds,
      rate,
      perProcess: 5000,
      keep: false,
      attach: false,
      direct,
      log: (line) => progress(SUITE, line),
    });
  } finally {
    t.cleanup();
  }
}

// The peer first: the same fleet and alerts with no enforcement node, so the ratio is from one run.
const peer = await once(true);
const r = await once(false);
{
  metric(SUITE, 'devices_subscribed', r.connected, 'devices');
  metric(SUITE, 'ramp_up_s', r.rampUpS, 's');
  metric(SUITE, 'alerts_per_s', r.ratePerS, 'alerts/s');
  metric(SUITE, 'alerts_delivered_ratio', r.sent > 0 ? r.delivered / r.sent : 0, 'ratio');
  metric(SUITE, 'alert_delivery_p50_ms', r.p50, 'ms');
  metric(SUITE, 'alert_delivery_p95_ms', r.p95, 'ms');
  metric(SUITE, 'alert_delivery_p99_ms', r.p99, 'ms');
  metric(SUITE, 'misrouted_alerts', r.misrouted, 'alerts');
  metric(SUITE, 'alert_delivery_p50_ms_direct', peer.p50, 'ms');
  metric(SUITE, 'alert_delivery_p99_ms_direct', peer.p99, 'ms');
  metric(SUITE, 'misrouted_alerts_direct', peer.misrouted, 'alerts');
}
