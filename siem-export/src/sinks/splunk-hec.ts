// The Splunk HTTP Event Collector shape: POST <url>/services/collector/event with
// "Authorization: Splunk <token>" and a body of concatenated event objects
// {"time": <seconds>, "host", "source", "sourcetype", "index", "event": <record>}.
import { httpPoster } from './http.ts';
import type { Encoded, SinkFactory } from './types.ts';

export interface HecFields {
  host: string;
  source: string;
  sourcetype: string;
  index?: string | undefined;
}

export function hecBody(batch: readonly Encoded[], f: HecFields): string {
  let out = '';
  const meta = `"host":${JSON.stringify(f.host)},"source":${JSON.stringify(f.source)},"sourcetype":${JSON.stringify(f.sourcetype)}${
    f.index ? `,"index":${JSON.stringify(f.index)}` : ''
  }`;
  for (const e of batch) {
    out += `{"time":${(e.ts / 1000).toFixed(3)},${meta},"event":${e.json ? e.text : JSON.stringify(e.text)}}`;
  }
  return out;
}

export const createSplunkHecSink: SinkFactory<'splunk-hec'> = async (cfg) => {
  const url = new URL('/services/collector/event', cfg.url).toString();
  const poster = httpPoster(url, cfg.timeoutMs, cfg.ca);
  const fields: HecFields = {
    host: cfg.formatOptions.hostname ?? 'sentinel',
    source: cfg.source,
    sourcetype: cfg.sourcetype ?? `sentinel:${cfg.format}`,
    index: cfg.index,
  };
  const headers = { authorization: `Splunk ${cfg.token}` };
  return {
    async send(batch) {
      await poster.post(hecBody(batch, fields), headers);
    },
    close: () => poster.close(),
  };
};
