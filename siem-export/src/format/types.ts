// What every formatter takes and returns. A formatter is a pure function: same record and options, same
// bytes. Wall-clock time, the host and the process id come in through the options, never from globals.
import type { DecisionEventV1, IncidentV1 } from '@sentinel/ingest';
import type { CommonFields } from './fields.ts';

export const FORMAT_KINDS = ['cef', 'leef', 'rfc5424', 'rfc3164', 'json', 'ocsf'] as const;
export type FormatKind = (typeof FORMAT_KINDS)[number];

/** A record as the export reads it from the streams: a decision event or an incident update. */
export type ExportRecord =
  { type: 'event'; value: DecisionEventV1 } | { type: 'incident'; value: IncidentV1 };

export interface FormatOptions {
  /** CEF/LEEF header and OCSF metadata.product. */
  vendor: string;
  product: string;
  version: string;
  /** Host name for syslog headers when the record names no node (incidents). */
  hostname: string;
  /** Syslog APP-NAME / RFC 3164 TAG. */
  appName: string;
  /** Syslog PROCID. */
  procId: string;
  /** Syslog facility number 0–23 (16 = local0). */
  facility: number;
  /** LEEF 2.0 attribute delimiter: one character (default '^'). */
  leefDelimiter: string;
  /** RFC 5424 SD-ID of Sentinel's structured data element. */
  sdId: string;
  /** Longest string value, in code points, before it is cut and marked with '…'. */
  maxValueLength: number;
}

export const DEFAULT_FORMAT_OPTIONS: FormatOptions = {
  vendor: 'Sentinel',
  product: 'Sentinel MQTT Security',
  version: '1.0',
  hostname: 'sentinel',
  appName: 'sentinel',
  procId: '-',
  facility: 16,
  leefDelimiter: '^',
  // 32473 is the private enterprise number RFC 5424 reserves for examples; operators set their own.
  sdId: 'sentinel@32473',
  maxValueLength: 1023,
};

/**
 * One formatter per file, each of this shape, registered in formatters (format/index.ts). `fields` is
 * commonFields(rec) when the caller has it already (the encoder also needs it for syslog headers).
 */
export type Formatter = (rec: ExportRecord, o: FormatOptions, fields?: CommonFields) => string;
