// Run the nats-server exporter: `npx tsx dashboards/src/main.ts [monitorUrl] [port]`
// (defaults http://127.0.0.1:8222 and 9467, the target dashboards/prometheus/prometheus.yml scrapes).
import { startNatsExporter } from './nats-exporter.ts';

const monitorUrl = process.argv[2] ?? process.env.SENTINEL_NATS_MONITOR_URL ?? 'http://127.0.0.1:8222';
const port = Number(process.argv[3] ?? process.env.SENTINEL_NATS_EXPORTER_PORT ?? 9467);
const exporter = await startNatsExporter({ monitorUrl, port });
process.stderr.write(`nats exporter: ${monitorUrl} -> ${exporter.url}\n`);
const stop = (): void => void exporter.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
