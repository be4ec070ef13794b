// `sentinel auth-service`: run the reference auth service alone until Ctrl-C.
// `sentinel auth-service populate --count N`: create N device credentials (generated 128-bit secrets) and
// write them to <dataDir>/<authService.credentialsFile>, mode 0600, for the demo and the benchmarks.
import { resolve } from 'node:path';
import { createLogger } from '@sentinel/ingest';
import { openAuthDb, populateDevices, startAuthService } from '@sentinel/infra';
import type { RegisterCommand } from '../registry.ts';

function positiveInt(what: string) {
  return (v: string): number => {
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

export const registerAuthService: RegisterCommand = (program, ctx) => {
  const cmd = program
    .command('auth-service')
    .description('run the reference auth service (POST /auth, credentials in MariaDB) until Ctrl-C')
    .action(async () => {
      const c = ctx.config();
      const log = createLogger({ component: 'auth-service' }, c.log.level);
      const svc = await startAuthService({
        db: c.authService.db,
        host: c.authService.host,
        port: c.authService.port,
        token: c.authService.token,
        onError: (err) =>
          log.error('auth request failed', { error: err instanceof Error ? err.message : String(err) }),
      });
      log.info('auth service listening', { url: svc.url, devices: await svc.store.countDevices() });
      await new Promise<void>((done) => {
        const shutdown = (): void => void svc.stop().then(done);
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });

  cmd
    .command('populate')
    .description(
      'create N device credentials (client id = username = <prefix><number>) and write them to a 0600 file',
    )
    .requiredOption('--count <n>', 'how many devices', positiveInt('--count'))
    .option('--prefix <text>', 'client id prefix', 'dev-')
    .option('--start <n>', 'first number', positiveInt('--start'), 1)
    .option('--file <path>', 'credentials file (default: <dataDir>/<authService.credentialsFile>)')
    .action(async (o: { count: number; prefix: string; start: number; file?: string }) => {
      const c = ctx.config();
      const file = o.file ? resolve(o.file) : resolve(c.dataDir, c.authService.credentialsFile);
      const pool = await openAuthDb(c.authService.db);
      try {
        const r = await populateDevices({
          pool,
          count: o.count,
          prefix: o.prefix,
          start: o.start,
          file,
          onProgress: (done, total, ms) => {
            const pct = ((100 * done) / total).toFixed(1);
            const rate = Math.round((done / Math.max(ms, 1)) * 1000);
            process.stderr.write(`populate: ${done}/${total} devices (${pct}%), ${rate}/s\n`);
          },
        });
        process.stderr.write(
          `populate: ${r.count} devices in ${(r.elapsedMs / 1000).toFixed(1)} s; credentials in ${r.file}\n`,
        );
      } finally {
        await pool.end();
      }
    });
};
