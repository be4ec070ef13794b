// The encoder as it was before the per-record fast paths (CEF string building, cached syslog header
// parts), kept as the reference the equivalence tests compare the current encoder with, byte for byte.
import { hostname } from 'node:os';
import type { SinkConfig } from '../../src/config.ts';
import { FACILITIES } from '../../src/config.ts';
import { commonFields, hostOf, syslogSeverity } from '../../src/format/fields.ts';
import type { CommonFields } from '../../src/format/fields.ts';
import { formatters as current } from '../../src/format/index.ts';
import type { FormatKind, Formatter } from '../../src/format/types.ts';
import { formatCef } from './cef.ts';
import { frame3164 } from '../../src/format/rfc3164.ts';
import { formatRfc5424, frame5424, headerFor } from './rfc5424.ts';
import type { ExportRecord, FormatOptions } from '../../src/format/types.ts';
import type { Encoded } from '../../src/sinks/types.ts';

const formatters: Record<FormatKind, Formatter> = { ...current, cef: formatCef, rfc5424: formatRfc5424 };

export function resolveFormatOptions(cfg: SinkConfig): FormatOptions {
  const f = cfg.formatOptions;
  return {
    vendor: f.vendor,
    product: f.product,
    version: f.version,
    hostname: f.hostname ?? hostname(),
    appName: f.appName,
    procId: String(process.pid),
    facility: FACILITIES[f.facility],
    leefDelimiter: f.leefDelimiter,
    sdId: f.sdId,
    maxValueLength: f.maxValueLength,
  };
}

/** The identity a record is about: the Kafka key. */
export function identityKey(rec: ExportRecord): string {
  if (rec.type === 'incident') return rec.value.identity.value;
  return rec.value.subject.clientId ?? rec.value.subject.ip ?? '';
}

function syslogWrapper(
  cfg: SinkConfig,
  o: FormatOptions,
): ((f: CommonFields, text: string) => string) | undefined {
  if (cfg.kind !== 'syslog-udp' && cfg.kind !== 'syslog-tcp' && cfg.kind !== 'syslog-tls') return undefined;
  if (cfg.format === 'rfc5424' || cfg.format === 'rfc3164' || cfg.header === 'none') return undefined;
  if (cfg.header === 'rfc3164') {
    return (f, text) =>
      frame3164(o, syslogSeverity(f.severity), f.ts, hostOf(f, o.hostname), text, Number.MAX_SAFE_INTEGER);
  }
  return (f, text) => frame5424(headerFor(f, o), '-', text, false);
}

export type Encoder = (rec: ExportRecord) => Encoded;

export function makeEncoder(cfg: SinkConfig, o: FormatOptions = resolveFormatOptions(cfg)): Encoder {
  const format = formatters[cfg.format];
  const wrap = syslogWrapper(cfg, o);
  const json = !wrap && (cfg.format === 'json' || cfg.format === 'ocsf');
  return (rec) => {
    // Computed once: the formatter and the syslog header both need it.
    const f = commonFields(rec);
    const text = format(rec, o, f);
    return {
      id: rec.value.id,
      ts: rec.value.ts,
      key: identityKey(rec),
      text: wrap ? wrap(f, text) : text,
      json,
    };
  };
}
