// `sentinel bridge`: run the MQTT <-> WebSocket (WSS) bridge between the core broker and the customer
// origin until Ctrl-C, with /metrics on bridge.metrics.port.
import { createLogger } from '@sentinel/ingest';
import { startBridge } from '@sentinel/enforcement';
import type { RegisterCommand } from '../registry.ts';

export const registerBridge: RegisterCommand = (program, ctx) => {
  program
    .command('bridge')
    .description(
      'bridge configured topics between the core broker and the customer origin (MQTT over WSS), QoS 1 both ways',
    )
    .action(async () => {
      const c = ctx.config();
      const log = createLogger({ component: 'bridge' }, c.log.level);
      const bridge = await startBridge({ config: c.bridge, log });
      process.stderr.write(
        `bridge running: ${c.bridge.core.url} <-> ${c.bridge.origin.url}, ${c.bridge.rules.length} rule(s)` +
          (bridge.metricsUrl ? `, metrics at ${bridge.metricsUrl}` : '') +
          '\n',
      );
      await new Promise<void>((done) => {
        const shutdown = (): void => void bridge.stop().then(done);
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });
};
