// The settings ingest owns. Defaults sit beside each field; `sentinel config` prints the effective values.
import { z } from 'zod';

const duration = z.number().int().positive();

export const natsConfigSchema = z
  .object({
    /** Comma-separated in the environment: SENTINEL_NATS_SERVERS=nats://a:4222,nats://b:4222 */
    servers: z
      .array(z.string().regex(/^(nats|tls|ws|wss):\/\/[^\s]+$/, 'must be a nats:// URL'))
      .min(1)
      .default(['nats://127.0.0.1:4222']),
    /** Client name shown in nats-server monitoring. */
    name: z.string().default('sentinel'),
    user: z.string().optional(),
    /** Secret: never logged. */
    pass: z.string().optional(),
    token: z.string().optional(),
    /** Replicas for every stream and the bans bucket: 1 on one node, 3 in a cluster. */
    replicas: z.number().int().min(1).max(5).default(1),
  })
  .strict()
  .prefault({});

export const streamsConfigSchema = z
  .object({
    /** SENTINEL_EVENTS retention in hours. */
    eventsMaxAgeHours: z.number().positive().default(72),
    /** Upper bound of SENTINEL_EVENTS on disk, in bytes (-1: no limit beyond age). */
    eventsMaxBytes: z.number().int().min(-1).default(-1),
    /** Retention of incidents, decisions and actions, in days. */
    recordsMaxAgeDays: z.number().positive().default(365),
    /**
     * Window in which JetStream drops a re-published event id, in seconds. nats-server keeps every id of
     * the window in memory (about 370 B each, measured), so it costs rate × window: 10,000 events/s over
     * 120 s is about 440 MB. The publisher re-sends within seconds (ack timeout), and analytics also
     * deduplicates by id, so the window only has to cover short outages.
     */
    duplicateWindowS: duration.default(120),
    /** SENTINEL_QUARANTINE retention in days. */
    quarantineMaxAgeDays: z.number().positive().default(30),
  })
  .strict()
  .prefault({});

export const publisherConfigSchema = z
  .object({
    /** Publishes awaiting a JetStream ack at once. */
    maxInFlight: z.number().int().min(1).max(100_000).default(4096),
    /** Events held in memory before the publisher spools to disk. */
    maxQueued: z.number().int().min(100).default(100_000),
    /** Folder of the disk spool (relative to the data directory). */
    spoolDir: z.string().default('spool'),
    /** Upper bound of the spool on disk in bytes; past it new events are dropped and counted. */
    spoolMaxBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(1024 * 1024 * 1024),
    /** Segment size of the spool in bytes. */
    spoolSegmentBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(16 * 1024 * 1024),
    /** Time to wait for one JetStream ack before the event is spooled, ms. */
    ackTimeoutMs: duration.default(5000),
  })
  .strict()
  .prefault({});

export type NatsConfig = z.output<typeof natsConfigSchema>;
export type StreamsConfig = z.output<typeof streamsConfigSchema>;
export type PublisherConfig = z.output<typeof publisherConfigSchema>;
