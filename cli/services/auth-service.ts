// The reference auth service in `sentinel up`: POST /auth backed by the stack's MariaDB. Runs in the
// launcher's process; `sentinel auth-service populate --count N` fills it with device credentials.
import { startAuthService } from '@sentinel/infra';
import { assertPortFree } from '../stack.ts';
import type { StackService } from '../stack.ts';

export const authServiceService: StackService = {
  name: 'reference auth service',
  async start(ctx) {
    const c = ctx.config.authService;
    await assertPortFree(c.port, 'auth service', 'authService.port', c.host);
    const log = ctx.log.child({ component: 'auth-service' });
    const svc = await startAuthService({
      db: c.db,
      host: c.host,
      port: c.port,
      token: c.token,
      onError: (err) =>
        log.error('auth request failed', { error: err instanceof Error ? err.message : String(err) }),
    });
    const devices = await svc.store.countDevices();
    return {
      endpoints: [
        {
          label: 'Auth service',
          url: svc.url,
          note: devices ? `${devices} devices` : 'no devices yet: sentinel auth-service populate --count N',
        },
      ],
      stop: () => svc.stop(),
    };
  },
};
