// Analytics in `sentinel up`: runs in the launcher's process (chDB is embedded, one session per process).
import { startAnalytics } from '@sentinel/analytics';
import { register } from 'prom-client';
import type { StackService } from '../stack.ts';

export const analyticsService: StackService = {
  name: 'analytics (chDB / ClickHouse, detections, bans)',
  async start(ctx) {
    const c = ctx.config;
    const svc = await startAnalytics({
      analytics: c.analytics,
      nats: c.nats,
      streams: c.streams,
      publisher: c.publisher,
      dataDir: ctx.dataDir,
      // the process-wide registry: the api in the same process serves it on /metrics
      registry: register,
      log: ctx.log.child({ component: 'analytics' }),
    });
    return {
      endpoints: [
        {
          label: 'Analytics',
          url:
            svc.store.engine === 'chdb'
              ? `chDB in ${ctx.dataDir}/${c.analytics.chdbDir}`
              : 'ClickHouse server',
          note: `${svc.engine.rules.length} detection rules`,
        },
      ],
      stop: () => svc.stop(),
    };
  },
};
