// `sentinel export`: run the SIEM export (every sink under export.sinks) until Ctrl-C;
// `sentinel export sinks`: print the configured sinks (secrets redacted) and exit.
import { createLogger, redact } from '@sentinel/ingest';
import { startExport } from '@sentinel/siem-export';
import type { RegisterCommand } from '../registry.ts';

export const registerExport: RegisterCommand = (program, ctx) => {
  const cmd = program
    .command('export')
    .description('deliver events and incidents to the configured SIEM sinks (CEF, LEEF, syslog, JSON, OCSF)')
    .action(async () => {
      const c = ctx.config();
      const log = createLogger({ component: 'export' }, c.log.level);
      if (c.export.sinks.length === 0) {
        throw new Error('no sinks configured: add export.sinks to sentinel.yaml (see docs/sinks/)');
      }
      const svc = await startExport({ config: c.export, nats: c.nats, log });
      log.info('export running', { sinks: c.export.sinks.length, metrics: svc.metricsUrl });
      await new Promise<void>((done) => {
        const shutdown = (): void => void svc.stop().then(done);
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  cmd
    .command('sinks')
    .description('print the configured sinks with their effective settings (secrets redacted)')
    .action(() => {
      // Header values can carry API keys under any name: hide them all, and redact() the named secrets.
      const sinks = ctx.config().export.sinks.map((s) =>
        redact({
          ...s,
          ...('headers' in s
            ? { headers: Object.fromEntries(Object.keys(s.headers).map((k) => [k, '[redacted]'])) }
            : {}),
        } as Record<string, unknown>),
      );
      process.stdout.write(JSON.stringify(sinks, null, 2) + '\n');
    });
};
