// The export section: defaults, per-kind options, and errors that name the key and the bad value.
import { ConfigError, parseConfig } from '@sentinel/ingest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exportConfigSchema } from '../../src/index.ts';

const schema = z.object({ export: exportConfigSchema }).strict();
const parse = (yamlText: string, env: Record<string, string> = {}) =>
  parseConfig(schema, { yamlText, yamlName: 'sentinel.yaml', env });

describe('export configuration', () => {
  it('config - no sinks by default, and each kind gets its documented defaults', () => {
    expect(parse('').export.sinks).toEqual([]);
    const cfg = parse(`
export:
  sinks:
    - { name: soc, kind: syslog-tls, host: siem.example }
    - { name: hec, kind: splunk-hec, url: "https://splunk:8088", token: t }
`).export;
    const [tls, hec] = cfg.sinks;
    expect(tls).toMatchObject({
      kind: 'syslog-tls',
      port: 6514,
      framing: 'octet-counting',
      verify: true,
      format: 'cef',
      header: 'rfc5424',
    });
    expect(tls?.delivery).toMatchObject({ batchSize: 500, maxAttempts: 5, confirmMs: 250 });
    expect(tls?.filters).toEqual({ minSeverity: 0, kinds: [], source: 'all' });
    expect(hec).toMatchObject({ kind: 'splunk-hec', source: 'sentinel' });
  });

  it('config - a bad value is reported with its key and value', () => {
    expect(() => parse('export:\n  sinks:\n    - { name: a, kind: syslog-udp, port: 70000 }\n')).toThrow(
      /export\.sinks\.0\.port.*70000/s,
    );
    expect(() => parse('export:\n  sinks:\n    - { name: a, kind: carrier-pigeon }\n')).toThrow(ConfigError);
    expect(() =>
      parse(
        'export:\n  sinks:\n    - { name: a, kind: syslog-udp, formatOptions: { leefDelimiter: "=" } }\n',
      ),
    ).toThrow(/leefDelimiter/);
  });

  it('config - two sinks with one name are refused, because the name keys the durable consumer', () => {
    expect(() =>
      parse('export:\n  sinks:\n    - { name: a, kind: syslog-udp }\n    - { name: a, kind: syslog-tcp }\n'),
    ).toThrow(/duplicate sink name/);
  });

  it('config - the sink list can come from SENTINEL_EXPORT_SINKS as JSON', () => {
    const cfg = parse('', {
      SENTINEL_EXPORT_SINKS: '[{"name":"f","kind":"file","path":"out.ndjson","format":"json"}]',
    });
    expect(cfg.export.sinks[0]).toMatchObject({ kind: 'file', path: 'out.ndjson', maxFiles: 10 });
  });
});
