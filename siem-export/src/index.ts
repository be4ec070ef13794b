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

// configuration
export {
  exportConfigSchema,
  sinkConfigSchema,
  filtersSchema,
  deliverySchema,
  formatOptionsSchema,
  SINK_KINDS,
  FACILITIES,
} from './config.ts';
export type { ExportConfig, SinkConfig, SinkConfigOf, SinkKind, FacilityName } from './config.ts';

// sinks
export { sinkFactories, createSink } from './sinks/index.ts';
export type { Sink, SinkContext, SinkFactory, Encoded, BatchFramer } from './sinks/types.ts';
export { frameStream, frameStreamBytes, StreamFramer } from './sinks/syslog-stream.ts';
export { fitDatagram, TRUNCATION_MARK } from './sinks/syslog-udp.ts';
export { webhookBody } from './sinks/webhook.ts';
export { hecBody } from './sinks/splunk-hec.ts';
export { kafkaMessages } from './sinks/kafka.ts';
export { RotatingFile } from './sinks/file.ts';

// delivery
export { Exporter, SinkRunner } from './delivery/runner.ts';
export type { ExporterOptions, SinkRunnerOptions } from './delivery/runner.ts';
export { makeEncoder, resolveFormatOptions, identityKey } from './delivery/encode.ts';
export type { Encoder } from './delivery/encode.ts';
export { exportMetrics } from './delivery/metrics.ts';
export type { ExportMetrics } from './delivery/metrics.ts';
export { sourcesFor, durableName } from './delivery/source.ts';
export type { Source } from './delivery/source.ts';

// the export process
export { startExport } from './service.ts';
export type { ExportService, StartExportOptions } from './service.ts';
