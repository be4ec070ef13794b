// The reference auth service in `sentinel up`: POST /auth backed by the stack's MariaDB. Runs in the
// launcher's process; `sentinel auth-service populate --count N` fills it with device credentials.
import { isListening, startAuthService } from '@sentinel/infra';
import type { StackService } from '../stack.ts';

export const authServiceService: StackService = {
  name: 'reference auth service',
  async start(ctx) {
    const c = ctx.config.authService;
    if (await isListening(c.port, c.host)) {
      throw new Error(
        `port ${c.port} (auth service) is already in use: stop what listens there or set authService.port`,
      );
    }
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
