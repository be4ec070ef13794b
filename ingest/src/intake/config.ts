// The settings of external event intake (`intake` in sentinel.yaml). Everything is off by default: an
// operator opens a listener on purpose, and the HTTP listener never opens without a token.
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

export const intakeHttpConfigSchema = z
  .object({
    /** Open the HTTP listener (POST /v1/events, GET /healthz, GET /metrics). */
    enabled: z.boolean().default(false),
    /** Address to listen on; 0.0.0.0 to take events from other machines. */
    host: host.default('127.0.0.1'),
    /** Port of the HTTP listener (0: a free port, for tests). */
    port: port.default(8090),
    /** Secret bearer token senders must present; the listener refuses to start without one. */
    token: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Largest request body in bytes; larger requests get 413. */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** Most events in one request; more get 413. */
    maxEvents: z.number().int().min(1).max(100_000).default(10_000),
    /** Most HTTP connections at once; more are closed on arrival. */
    maxConnections: z.number().int().min(1).max(100_000).default(1024),
    /** PEM certificate for HTTPS; with tlsKeyFile the listener speaks TLS. */
    tlsCertFile: z.string().optional(),
    /** PEM private key for HTTPS. */
    tlsKeyFile: z.string().optional(),
  })
  .strict()
  .prefault({});

export const intakeSyslogConfigSchema = z
  .object({
    /** Address the syslog listeners bind to. */
    host: host.default('127.0.0.1'),
    /** UDP syslog port (0: no UDP listener). */
    udpPort: port.default(0),
    /** TCP syslog port, RFC 6587 octet counting or newline framing (0: no TCP listener). */
    tcpPort: port.default(0),
    /** Largest syslog message in bytes; a longer TCP frame is dropped (newline) or closes the connection (octet count). */
    maxMessageBytes: z
      .number()
      .int()
      .min(480)
      .max(1024 * 1024)
      .default(64 * 1024),
    /** Most TCP connections at once; more are closed on arrival. */
    maxConnections: z.number().int().min(1).max(100_000).default(256),
    /** Close a TCP connection idle this long, seconds. */
    idleTimeoutS: z.number().int().min(1).default(600),
    /** Senders allowed (IP addresses or CIDR ranges); empty: any sender that reaches the port. */
    allowFrom: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .prefault({});

export const intakeKafkaConfigSchema = z
  .object({
    /** Consume JSON events from Kafka (kafkajs, loaded only when this is on). */
    enabled: z.boolean().default(false),
    /** Bootstrap brokers, host:port; comma-separated in the environment. */
    brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port')).default([]),
    /** Topics to consume; each message is one event, a JSON array of them, or NDJSON. */
    topics: z.array(z.string().min(1)).min(1).default(['sentinel.intake']),
    /** Consumer group: offsets are committed per group, after the events are safe. */
    groupId: z.string().min(1).default('sentinel-intake'),
    clientId: z.string().min(1).default('sentinel-intake'),
    /** Start a new group at the oldest message instead of the newest. */
    fromBeginning: z.boolean().default(false),
    /** TLS to the brokers. */
    ssl: z.boolean().default(false),
    /** SASL mechanism; with username and password. */
    saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
    username: z.string().optional(),
    /** Secret: never logged. */
    password: z.string().optional(),
  })
  .strict()
  .prefault({});

export const intakeConfigSchema = z
  .object({
    http: intakeHttpConfigSchema,
    syslog: intakeSyslogConfigSchema,
    kafka: intakeKafkaConfigSchema,
    /** Name of intake's publisher: its spool lives in <dataDir>/<publisher.spoolDir>/<name>. */
    publisherName: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, dot, dash or underscore')
      .default('intake'),
    /**
     * Spooled bytes above which HTTP intake answers 503 with Retry-After, TCP syslog and Kafka pause
     * (at most 90% of publisher.spoolMaxBytes, so senders back off before the spool drops anything).
     */
    maxSpoolBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(256 * 1024 * 1024),
    /** Port serving /healthz and /metrics when the HTTP listener is off (on intake.http.host; 0: none). */
    metricsPort: port.default(9466),
    /** Retry-After seconds sent with 503. */
    retryAfterS: z.number().int().min(1).max(3600).default(5),
  })
  .strict()
  .prefault({});

export type IntakeConfig = z.output<typeof intakeConfigSchema>;
export type IntakeHttpConfig = z.output<typeof intakeHttpConfigSchema>;
export type IntakeSyslogConfig = z.output<typeof intakeSyslogConfigSchema>;
export type IntakeKafkaConfig = z.output<typeof intakeKafkaConfigSchema>;
