// `sentinel api`: run the REST API, live stream and metrics until Ctrl-C.
// `sentinel api token create --role R --name N`: create an API token (printed once, stored only hashed).
// `sentinel api verify-report <file>`: check an exported compliance report's digests and signature.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ActionRecorder, ROLES, TokenStore, startApi, verifyReport } from '@sentinel/api';
import type { Role } from '@sentinel/api';
import { EventPublisher, connectNats, createLogger, ensureStreams } from '@sentinel/ingest';
import type { RegisterCommand } from '../registry.ts';

/** A public key given as base64 SPKI DER or as a PEM file. */
function readPublicKey(arg: string): string {
  const text = /^[A-Za-z0-9+/=]+$/.test(arg) ? arg : readFileSync(arg, 'utf8');
  const pem = /-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----/.exec(text);
  return pem?.[1] ? pem[1].replace(/\s+/g, '') : text.trim();
}

export const registerApi: RegisterCommand = (program, ctx) => {
  const cmd = program
    .command('api')
    .description('run the REST API (/api/v1), the live WebSocket stream, /metrics, /healthz and /readyz')
    .action(async () => {
      const c = ctx.config();
      const log = createLogger({ component: 'api' }, c.log.level);
      const api = await startApi({
        api: c.api,
        analytics: c.analytics,
        nats: c.nats,
        streams: c.streams,
        publisher: c.publisher,
        dataDir: resolve(c.dataDir),
        fullConfig: c as unknown as Record<string, unknown>,
        log,
      });
      if (api.bootstrapToken) {
        process.stderr.write(
          `\nBootstrap admin token (shown once, store it now):\n  ${api.bootstrapToken}\n\n`,
        );
      }
      log.info('api running', { url: api.url });
      await new Promise<void>((done) => {
        const shutdown = (): void => void api.stop().then(done);
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  cmd
    .command('token')
    .description('manage API tokens')
    .command('create')
    .description('create an API token; it is printed once on stdout and stored only as a SHA-256 hash')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .requiredOption('--name <name>', 'token name: the actor named in audit events')
    .action(async (o: { role: string; name: string }) => {
      if (!(ROLES as readonly string[]).includes(o.role)) {
        throw new Error(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(o.role)}`);
      }
      if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(o.name)) {
        throw new Error('--name must be 1–64 letters, digits, dot, dash, underscore or @');
      }
      const c = ctx.config();
      const nc = await connectNats(c.nats, { component: 'cli' });
      try {
        await ensureStreams(nc, c.streams, c.nats.replicas);
        const tokens = await TokenStore.open(nc, c.api.access.bucket, c.nats.replicas);
        const { token, record } = await tokens.create(o.name, o.role as Role, 'sentinel-cli');
        tokens.stop();
        const publisher = new EventPublisher({
          nc,
          name: `cli-${process.pid}`,
          dataDir: resolve(c.dataDir),
          config: c.publisher,
        });
        new ActionRecorder(publisher).record(
          { ...record, name: 'sentinel-cli', role: 'admin' },
          'token.create',
          record.id,
          { name: record.name, role: record.role },
        );
        await publisher.close();
        process.stdout.write(`${token}\n`);
      } finally {
        await nc.close();
      }
    });

  cmd
    .command('verify-report <file>')
    .description('verify the digests (and signature) of an exported compliance report (JSON, CSV or PDF)')
    .option('--public-key <key>', 'expected Ed25519 public key: base64 SPKI DER or a PEM file')
    .action((file: string, o: { publicKey?: string }) => {
      const result = verifyReport(readFileSync(file), o.publicKey ? readPublicKey(o.publicKey) : undefined);
      process.stdout.write(JSON.stringify(result) + '\n');
      if (!result.ok) process.exitCode = 1;
    });
};
