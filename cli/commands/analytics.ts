// `sentinel analytics`: run the analytics process (store, detections, incidents, bans) until Ctrl-C;
// `sentinel analytics rebuild`: derive the store again from the streams; `sentinel analytics migrate`:
// apply the schema migrations and exit.
import { resolve } from 'node:path';
import { createLogger } from '@sentinel/ingest';
import { applyRetention, migrate, openStore, rebuild, startAnalytics } from '@sentinel/analytics';
import type { RegisterCommand } from '../registry.ts';

export const registerAnalytics: RegisterCommand = (program, ctx) => {
  const cmd = program
    .command('analytics')
    .description('run analytics: events into ClickHouse, threat scores, detections, incidents, ban decisions')
    .action(async () => {
      const c = ctx.config();
      const log = createLogger({ component: 'analytics' }, c.log.level);
      const svc = await startAnalytics({
        analytics: c.analytics,
        nats: c.nats,
        streams: c.streams,
        publisher: c.publisher,
        dataDir: resolve(c.dataDir),
        log,
      });
      log.info('analytics running', { store: svc.store.engine });
      await new Promise<void>((done) => {
        const shutdown = (): void =>
          void svc
            .stop()
            .catch((err: unknown) => {
              log.error('analytics did not stop cleanly', { error: err });
              process.exitCode = 1;
            })
            .finally(done);
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  cmd
    .command('rebuild')
    .description(
      'empty the analytics store and replay SENTINEL_EVENTS, _DECISIONS and _ACTIONS into it (stop analytics first)',
    )
    .action(async () => {
      const c = ctx.config();
      const log = createLogger({ component: 'analytics' }, c.log.level);
      const result = await rebuild({
        analytics: c.analytics,
        nats: c.nats,
        streams: c.streams,
        dataDir: resolve(c.dataDir),
        log,
      });
      process.stdout.write(JSON.stringify(result) + '\n');
    });

  cmd
    .command('migrate')
    .description('apply the ClickHouse schema migrations and the retention setting, then exit')
    .action(async () => {
      const c = ctx.config();
      const store = openStore(c.analytics, resolve(c.dataDir));
      try {
        const res = await migrate(store);
        const retention = await applyRetention(store, c.analytics.retentionDays);
        process.stdout.write(
          JSON.stringify({ engine: store.engine, ...res, retentionChanged: retention }) + '\n',
        );
      } finally {
        await store.close();
      }
    });
};
