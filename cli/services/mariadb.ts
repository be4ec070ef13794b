// MariaDB in `sentinel up`: a private server under <dataDir>/mariadb holding the reference auth service's
// credentials. Skipped when authService.db points at a server of your own (another host or a socket).
import { join } from 'node:path';
import { startMariadb } from '@sentinel/infra';
import { assertPortFree } from '../stack.ts';
import type { StackService } from '../stack.ts';

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1']);

export const mariadbService: StackService = {
  name: 'MariaDB (auth credentials)',
  async start(ctx) {
    const db = ctx.config.authService.db;
    if (!LOCAL.has(db.host) || db.socketPath !== '') {
      return {
        endpoints: [
          { label: 'MariaDB', url: db.socketPath || `${db.host}:${db.port}`, note: 'external, not started' },
        ],
        stop: async () => undefined,
      };
    }
    await assertPortFree(db.port, 'MariaDB', 'authService.db.port');
    const server = await startMariadb({ dir: join(ctx.dataDir, 'mariadb'), port: db.port, restart: true });
    server.child.onEvent = (e) => {
      if (e.type === 'restart')
        ctx.log.warn('mariadbd exited; restarting', { attempt: e.attempt, delayMs: e.delayMs });
    };
    return {
      endpoints: [
        { label: 'MariaDB', url: `mysql://127.0.0.1:${server.port}`, note: `socket ${server.socketPath}` },
      ],
      stop: () => server.stop(),
    };
  },
};
