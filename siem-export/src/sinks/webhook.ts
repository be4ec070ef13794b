// A generic JSON webhook: one POST per batch whose body is a JSON array. JSON formats (json, ocsf) are
// embedded as objects; text formats (CEF, LEEF, syslog) as strings.
import { httpPoster } from './http.ts';
import type { Encoded, SinkFactory } from './types.ts';

export function webhookBody(batch: readonly Encoded[]): string {
  return `[${batch.map((e) => (e.json ? e.text : JSON.stringify(e.text))).join(',')}]`;
}

export const createWebhookSink: SinkFactory<'webhook'> = async (cfg) => {
  const poster = httpPoster(cfg.url, cfg.timeoutMs, cfg.ca);
  const headers = { ...cfg.headers, ...(cfg.authorization ? { authorization: cfg.authorization } : {}) };
  return {
    async send(batch) {
      await poster.post(webhookBody(batch), headers);
    },
    close: () => poster.close(),
  };
};
