// The SIEM export in `sentinel up`: runs in the launcher's process when export.sinks lists any sink.
import { startExport } from '@sentinel/siem-export';
import type { StackService } from '../stack.ts';

export const exportService: StackService = {
  name: 'siem export (sinks under export.sinks)',
  async start(ctx) {
    const c = ctx.config;
    if (c.export.sinks.length === 0) {
      return {
        endpoints: [{ label: 'SIEM export', url: 'off', note: 'no sinks under export.sinks' }],
        stop: async () => undefined,
      };
    }
    const svc = await startExport({
      config: c.export,
      nats: c.nats,
      log: ctx.log.child({ component: 'export' }),
    });
    return {
      endpoints: c.export.sinks.map((s) => ({
        label: `Export ${s.name}`,
        url: s.kind,
        note: `${s.format}${svc.metricsUrl ? `, metrics ${svc.metricsUrl}` : ''}`,
      })),
      stop: () => svc.stop(),
    };
  },
};
