// The api in `sentinel up`: in the launcher's process, reading the same chDB data path as analytics (chDB
// allows a second session on the path that is already open). On the first start it prints a bootstrap
// admin token once; it is stored only as a hash, so it can never be printed again.
import { startApi } from '@sentinel/api';
import type { StackService } from '../stack.ts';

export const apiService: StackService = {
  name: 'api (REST /api/v1, live stream, metrics)',
  async start(ctx) {
    const c = ctx.config;
    const api = await startApi({
      api: c.api,
      analytics: c.analytics,
      nats: c.nats,
      streams: c.streams,
      publisher: c.publisher,
      dataDir: ctx.dataDir,
      fullConfig: c as unknown as Record<string, unknown>,
      log: ctx.log.child({ component: 'api' }),
    });
    const endpoints = [
      { label: 'Console', url: `${api.url}/`, note: 'sign in with an API token' },
      { label: 'API', url: `${api.url}/api/v1`, note: `OpenAPI ${api.url}/api/v1/openapi.json` },
      { label: 'Metrics', url: `${api.url}/metrics` },
    ];
    if (api.bootstrapToken) {
      endpoints.push({ label: 'Admin token', url: api.bootstrapToken, note: 'shown once: store it now' });
    }
    return { endpoints, stop: () => api.stop() };
  },
};
