// The `api` section of sentinel.yaml. Defaults sit beside each field; env vars derive from the path:
// api.rateLimit.rate -> SENTINEL_API_RATE_LIMIT_RATE.
import { z } from 'zod';

const port = z.number().int().min(0).max(65_535);

export const apiConfigSchema = z
  .object({
    /** Address the HTTP server binds. */
    host: z.string().default('127.0.0.1'),
    /** HTTP port of the api (and the web console); 0 picks a free one. */
    port: port.default(8080),
    /** Trust X-Forwarded-For from a reverse proxy for the client address (rate limits, logs). */
    trustProxy: z.boolean().default(false),
    /** Largest accepted JSON body. */
    bodyLimitBytes: z.number().int().min(1024).max(10_485_760).default(262_144),
    rateLimit: z
      .object({
        /** Requests per second refilled into each token's (or, unauthenticated, each IP's) bucket. */
        rate: z.number().positive().default(20),
        /** Bucket size: the burst a client may send at once. */
        burst: z.number().int().positive().default(100),
        /** Buckets kept at most; the least recently used go first. */
        maxBuckets: z.number().int().min(100).default(100_000),
      })
      .strict()
      .prefault({}),
    /** API tokens (named `access` because the logger redacts keys that look like secrets). */
    access: z
      .object({
        /** NATS KV bucket of API token hashes, shared by every api instance. */
        bucket: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a KV bucket name')
          .default('sentinel_api_tokens'),
        /** On the first start (no admin token in the bucket) create one and print it once. */
        bootstrapAdmin: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    stream: z
      .object({
        /** Messages queued per WebSocket client before the oldest are dropped (and a gap is sent). */
        queueSize: z.number().int().min(1).max(100_000).default(1000),
        /** A client whose socket buffers more than this many bytes is treated as slow. */
        maxBufferedBytes: z.number().int().min(1024).default(1_048_576),
        /** Seconds a client has to authenticate with its first message. */
        authTimeoutS: z.number().int().min(1).max(60).default(5),
      })
      .strict()
      .prefault({}),
    quarantine: z
      .object({
        /** Core broker a released message is re-published to (the broker behind the enforcement nodes). */
        coreMqttUrl: z
          .string()
          .regex(/^mqtts?:\/\/[^\s]+$/, 'must be an mqtt:// or mqtts:// URL')
          .default('mqtt://127.0.0.1:1884'),
        /** Highest QoS used on release (nats-server's MQTT before 2.10 takes QoS 0 and 1 only). */
        releaseMaxQos: z.number().int().min(0).max(2).default(1),
      })
      .strict()
      .prefault({}),
    reports: z
      .object({
        /** PEM file of an Ed25519 private key; reports are signed when set. */
        signingKeyFile: z.string().optional(),
        /** Longest time range of one report, days. */
        maxRangeDays: z.number().int().min(1).max(3650).default(366),
        /** Sample event ids per requirement. */
        sampleSize: z.number().int().min(0).max(100).default(5),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export type ApiConfig = z.output<typeof apiConfigSchema>;
