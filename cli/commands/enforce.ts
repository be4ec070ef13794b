// `sentinel enforce`: run the enforcement node alone (its listeners, workers, upstream) until Ctrl-C.
// `sentinel enforce device-cert <clientId>`: issue a device certificate (CN = client id) from the
// development CA under <dataDir>/tls, for mTLS with device-bound certificates.
import { join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { createLogger } from '@sentinel/ingest';
import { ensureDevCertificate, issueDeviceCertificate, runEnforcement } from '@sentinel/enforcement';
import type { SentinelConfig } from '../config.ts';
import type { RegisterCommand } from '../registry.ts';

export function enforcementOptions(c: SentinelConfig) {
  return {
    config: c.enforcement,
    nats: c.nats,
    publisher: c.publisher,
    dataDir: resolve(c.dataDir),
    nodeName:
      c.node.name ??
      hostname()
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .slice(0, 64),
    logLevel: c.log.level,
  };
}

export const registerEnforce: RegisterCommand = (program, ctx) => {
  const cmd = program
    .command('enforce')
    .description(
      'run the enforcement node (MQTT/TLS/WebSocket listeners in front of the upstream broker) until Ctrl-C',
    )
    .action(async () => {
      const c = ctx.config();
      const log = createLogger({ component: 'enforcement' }, c.log.level);
      const running = await runEnforcement({ ...enforcementOptions(c), log });
      process.stderr.write(
        `enforcement node up: ${JSON.stringify(running.ports)} (${running.workers} worker(s))\n`,
      );
      await new Promise<void>((done) => {
        const shutdown = (): void => void running.stop().then(done);
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  cmd
    .command('device-cert <clientId>')
    .description('issue a device certificate with CN = <clientId> from the development CA (<dataDir>/tls)')
    .action(async (clientId: string) => {
      const c = ctx.config();
      const ca = await ensureDevCertificate(join(resolve(c.dataDir), 'tls'));
      const out = await issueDeviceCertificate(ca, clientId);
      process.stdout.write(`${out.cert}\n${out.key}\nCA: ${ca.caCert}\n`);
    });
};
