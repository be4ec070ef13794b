// The `export` section of sentinel.yaml: a list of sinks, each with its kind, format, filters, delivery
// settings and transport options. Parsed once and strictly; defaults sit beside each field. Secrets (the
// HEC token, webhook auth headers) are only ever read here and by the sink that sends them.
import { EVENT_KINDS } from '@sentinel/ingest';
import { z } from 'zod';
import { FORMAT_KINDS } from './format/types.ts';

export const SINK_KINDS = [
  'syslog-udp',
  'syslog-tcp',
  'syslog-tls',
  'webhook',
  'splunk-hec',
  'kafka',
  'file',
] as const;
export type SinkKind = (typeof SINK_KINDS)[number];

export const FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type FacilityName = keyof typeof FACILITIES;

const port = z.number().int().min(1).max(65535);
const host = z.string().min(1).default('127.0.0.1');

export const filtersSchema = z
  .object({
    /** Records below this severity (0–10) are skipped. */
    minSeverity: z.number().int().min(0).max(10).default(0),
    /** Event kinds to carry (empty: all). Filtered on the server by subject. */
    kinds: z.array(z.enum(EVENT_KINDS)).default([]),
    /** What to read: decision events (SENTINEL_EVENTS), incidents (SENTINEL_INCIDENTS), or both. */
    source: z.enum(['all', 'events', 'incidents']).default('all'),
  })
  .strict()
  .prefault({});

export const deliverySchema = z
  .object({
    /** Records per fetch and per send. */
    batchSize: z.number().int().min(1).max(10_000).default(500),
    /** Longest wait after the first record of a batch before the batch is sent anyway, ms. */
    batchWaitMs: z.number().int().min(1).max(60_000).default(50),
    /** Attempts for a batch the receiver refuses (4xx) before its records are tried alone and dead-lettered. */
    maxAttempts: z.number().int().min(1).max(100).default(5),
    /** Backoff between retries, ms: doubles from min to max, with jitter. An unreachable receiver is retried forever. */
    backoffMinMs: z.number().int().min(1).default(200),
    backoffMaxMs: z.number().int().min(1).default(30_000),
    /** Syslog over TCP/TLS has no acknowledgement: a record counts as delivered once the connection stayed up this long after it was written, ms. */
    confirmMs: z.number().int().min(0).max(60_000).default(250),
    /** Records sent but not yet confirmed, at most (bounds memory; also the consumer's max_ack_pending). */
    maxUnconfirmed: z.number().int().min(1).max(1_000_000).default(50_000),
    /** Where a new sink starts reading: every retained record, or only new ones. */
    deliver: z.enum(['all', 'new']).default('all'),
  })
  .strict()
  .prefault({});

export const formatOptionsSchema = z
  .object({
    vendor: z.string().min(1).default('Sentinel'),
    product: z.string().min(1).default('Sentinel MQTT Security'),
    version: z.string().min(1).default('1.0'),
    /** Host name in syslog headers when the record names no node (default: this machine's name). */
    hostname: z.string().min(1).optional(),
    appName: z.string().min(1).default('sentinel'),
    facility: z.enum(Object.keys(FACILITIES) as [FacilityName, ...FacilityName[]]).default('local0'),
    /** LEEF 2.0 attribute delimiter: one character, not a letter, digit, '=' or '\'. */
    leefDelimiter: z
      .string()
      .regex(/^[^A-Za-z0-9=\\]$/, "must be one character other than a letter, digit, '=' or '\\'")
      .default('^'),
    /** RFC 5424 SD-ID; use name@<your private enterprise number>. */
    sdId: z
      .string()
      .regex(/^[!#-<>-\\^-~]{1,32}$/, 'must be 1–32 printable ASCII characters without = ] " or space')
      .default('sentinel@32473'),
    /** Longest string value in code points before it is cut and marked with '…'. */
    maxValueLength: z.number().int().min(16).max(1_000_000).default(1023),
  })
  .strict()
  .prefault({});

const common = {
  /** Unique; names the durable consumers (export_<name>) and the metrics label. */
  name: z.string().regex(/^[A-Za-z0-9_-]{1,48}$/, 'must be 1–48 letters, digits, dash or underscore'),
  format: z.enum(FORMAT_KINDS).default('cef'),
  filters: filtersSchema,
  delivery: deliverySchema,
  formatOptions: formatOptionsSchema,
};

const syslogCommon = {
  host,
  /** Header put around CEF, LEEF, JSON and OCSF payloads (RFC 5424 and 3164 formats carry their own). */
  header: z.enum(['rfc5424', 'rfc3164', 'none']).default('rfc5424'),
};

const tcpFraming = z.enum(['octet-counting', 'newline']).default('octet-counting');

export const sinkConfigSchema = z.discriminatedUnion('kind', [
  z
    .object({
      ...common,
      kind: z.literal('syslog-udp'),
      ...syslogCommon,
      port: port.default(514),
      /** Largest datagram; longer messages are cut and end in '…[truncated]' (1472 fits an Ethernet MTU). */
      maxMessageBytes: z.number().int().min(480).max(65_000).default(1472),
      /** UDP has no flow control: a burst larger than the receiver's socket buffer is dropped there, so sends are paced to this many datagrams per second (0: no pacing). */
      maxPerSecond: z.number().int().min(0).default(5000),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('syslog-tcp'),
      ...syslogCommon,
      port: port.default(514),
      framing: tcpFraming,
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('syslog-tls'),
      ...syslogCommon,
      /** RFC 5425 port. */
      port: port.default(6514),
      framing: tcpFraming,
      /** PEM file of the CA that signed the receiver's certificate (default: the system's CAs). */
      ca: z.string().optional(),
      /** PEM files of an optional client certificate and its key (the key is a secret: never logged). */
      cert: z.string().optional(),
      key: z.string().optional(),
      /** Name to verify in the receiver's certificate (default: host). */
      servername: z.string().optional(),
      /** Verify the receiver's certificate against the CA (turn off only for a lab). */
      verify: z.boolean().default(true),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('webhook'),
      url: z.url(),
      /** Sent as the Authorization header, e.g. "Bearer …" (secret: never logged). */
      authorization: z.string().optional(),
      /** Extra headers (values are treated as secrets). */
      headers: z.record(z.string(), z.string()).default({}),
      timeoutMs: z.number().int().min(100).default(10_000),
      /** PEM file of the CA for an https:// receiver with a private CA. */
      ca: z.string().optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('splunk-hec'),
      /** Base URL of the HTTP Event Collector, e.g. https://splunk:8088 (the path is /services/collector/event). */
      url: z.url(),
      /** HEC token, sent as "Authorization: Splunk <token>" (secret: never logged). */
      token: z.string().min(1),
      index: z.string().optional(),
      source: z.string().default('sentinel'),
      /** Default: sentinel:<format>. */
      sourcetype: z.string().optional(),
      timeoutMs: z.number().int().min(100).default(10_000),
      ca: z.string().optional(),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('kafka'),
      brokers: z.array(z.string().min(1)).min(1),
      topic: z.string().min(1).default('sentinel-events'),
      clientId: z.string().default('sentinel-export'),
      ssl: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      ...common,
      kind: z.literal('file'),
      /** NDJSON file; rotated files get a timestamp suffix beside it. */
      path: z.string().min(1),
      /** Rotate when the file reaches this size, bytes. */
      maxBytes: z
        .number()
        .int()
        .min(1024)
        .default(100 * 1024 * 1024),
      /** Rotate when the file is this old, seconds (0: never by age). */
      maxAgeS: z.number().int().min(0).default(86_400),
      /** Rotated files kept; older ones are deleted. */
      maxFiles: z.number().int().min(1).default(10),
    })
    .strict(),
]);

export type SinkConfig = z.output<typeof sinkConfigSchema>;
export type SinkConfigOf<K extends SinkKind> = Extract<SinkConfig, { kind: K }>;

export const exportConfigSchema = z
  .object({
    /** The sinks `sentinel export` delivers to; none by default. */
    sinks: z
      .array(sinkConfigSchema)
      .default([])
      .superRefine((sinks, ctx) => {
        const seen = new Set<string>();
        sinks.forEach((s, i) => {
          if (seen.has(s.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate sink name "${s.name}"` });
          seen.add(s.name);
        });
      }),
    /** Port of the /metrics endpoint of `sentinel export` (0: none). */
    metricsPort: z.number().int().min(0).max(65535).default(9465),
  })
  .strict()
  .prefault({});

export type ExportConfig = z.output<typeof exportConfigSchema>;
