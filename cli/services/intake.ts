// External event intake in `sentinel up`: runs in the launcher's process when the intake section opens a
// listener (HTTP with its token, syslog UDP/TCP, Kafka); otherwise it is shown as off.
import { startIntake } from '@sentinel/ingest';
import type { IntakeConfig } from '@sentinel/ingest';
import type { Endpoint, StackService } from '../stack.ts';

function anyListener(c: IntakeConfig): boolean {
  return c.http.enabled || c.syslog.udpPort > 0 || c.syslog.tcpPort > 0 || c.kafka.enabled;
}

export const intakeService: StackService = {
  name: 'intake (external events over HTTP, syslog, Kafka; off unless intake opens a listener)',
  async start(ctx) {
    const c = ctx.config;
    if (!anyListener(c.intake)) {
      return {
        endpoints: [{ label: 'Intake', url: 'off', note: 'no listener under intake' }],
        stop: async () => undefined,
      };
    }
    const svc = await startIntake({
      config: c.intake,
      nats: c.nats,
      streams: c.streams,
      publisher: c.publisher,
      dataDir: ctx.dataDir,
      log: ctx.log.child({ component: 'intake' }),
    });
    const host = c.intake.syslog.host;
    const endpoints: Endpoint[] = [];
    if (svc.httpUrl)
      endpoints.push({
        label: 'Intake HTTP',
        url: `${svc.httpUrl}/v1/events`,
        note: `bearer token; metrics ${svc.httpUrl}/metrics`,
      });
    if (!svc.httpUrl && svc.metricsUrl) endpoints.push({ label: 'Intake metrics', url: svc.metricsUrl });
    if (svc.syslogUdpPort)
      endpoints.push({ label: 'Intake syslog', url: `udp://${host}:${svc.syslogUdpPort}` });
    if (svc.syslogTcpPort)
      endpoints.push({ label: 'Intake syslog', url: `tcp://${host}:${svc.syslogTcpPort}`, note: 'RFC 6587' });
    if (c.intake.kafka.enabled)
      endpoints.push({
        label: 'Intake Kafka',
        url: c.intake.kafka.brokers.join(','),
        note: c.intake.kafka.topics.join(', '),
      });
    return { endpoints, stop: () => svc.stop() };
  },
};
