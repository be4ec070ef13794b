// @sentinel/siem-export — formatters, sinks and the per-sink delivery loop. The one public door.

// formats
export { FORMAT_KINDS, DEFAULT_FORMAT_OPTIONS } from './format/types.ts';
export type { FormatKind, Formatter, FormatOptions, ExportRecord } from './format/types.ts';
export { formatters } from './format/index.ts';
export { commonFields, severity010, syslogSeverity } from './format/fields.ts';
export type { CommonFields } from './format/fields.ts';
export { cefHeader, cefValue } from './format/cef.ts';
export { leefValue, leefDelimiterToken } from './format/leef.ts';
export { frame5424, header5424, sdParamValue } from './format/rfc5424.ts';
export { frame3164, RFC3164_MAX_BYTES } from './format/rfc3164.ts';
export { OCSF_CLASS, OCSF_VERSION, toOcsf } from './format/ocsf.ts';

// errors
export { ExportError, ExportErrorCode, isUnavailable } from './errors.ts';
