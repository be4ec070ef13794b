// `sentinel intake`: take events from outside into SENTINEL_EVENTS until Ctrl-C — HTTP POST /v1/events
// (bearer token) and syslog over UDP/TCP (Mosquitto's log lines, RFC 5424 JSON events), as configured
// under `intake`. `sentinel intake check`: validate the intake settings and print them (token redacted).
import { resolve } from 'node:path';
import { checkIntakeConfig, createLogger, redact, startIntake } from '@sentinel/ingest';
import type { RegisterCommand } from '../registry.ts';

export const registerIntake: RegisterCommand = (program, ctx) => {
  const cmd = program
    .command('intake')
    .description('take external events in: HTTP POST /v1/events and syslog (Mosquitto logs, JSON events)')
    .action(async () => {
      const c = ctx.config();
      const log = createLogger({ component: 'intake' }, c.log.level);
      const svc = await startIntake({
        config: c.intake,
        nats: c.nats,
        streams: c.streams,
        publisher: c.publisher,
        dataDir: resolve(c.dataDir),
        log,
      });
      log.info('intake running', {
        http: svc.httpUrl ? `${svc.httpUrl}/v1/events` : 'off',
        syslogUdp: svc.syslogUdpPort ?? 'off',
        syslogTcp: svc.syslogTcpPort ?? 'off',
        metrics: svc.metricsUrl ?? 'off',
      });
      await new Promise<void>((done) => {
        const shutdown = (): void =>
          void svc
            .stop()
            .catch((err: unknown) => {
              log.error('intake did not stop cleanly', { error: err });
              process.exitCode = 1;
            })
            .finally(done);
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  cmd
    .command('check')
    .description('validate the intake settings (a listener, a token for HTTP, the allow list) and print them')
    .action(() => {
      const c = ctx.config().intake;
      checkIntakeConfig(c);
      const shown = redact({ ...c } as Record<string, unknown>);
      process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
    });
};
