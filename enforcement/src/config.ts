// The `enforcement` section of sentinel.yaml. Defaults sit beside each field; parsed once by the CLI's
// parseConfig() (which names the key and the value on error), then handed to the node's start().
import { z } from 'zod';
import {
  aclConfigSchema,
  authConfigSchema,
  penaltyBoxConfigSchema,
  rateLimitsConfigSchema,
} from './policy/config.ts';
import { inspectionConfigSchema } from './inspection/config.ts';

const port = z.number().int().min(0).max(65_535);

const tlsSchema = z
  .object({
    /** Serve MQTT over TLS (8883). */
    enabled: z.boolean().default(false),
    port: port.default(8883),
    /** PEM certificate chain and key. Empty: the development certificate under <dataDir>/tls is made and used. */
    certFile: z.string().default(''),
    keyFile: z.string().default(''),
    /** PEM CA bundle that client certificates must chain to (mTLS). */
    caFile: z.string().default(''),
    minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
    maxVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.3'),
    /** Client certificates: off, optional (verified if presented) or required (mTLS). */
    clientCerts: z.enum(['off', 'optional', 'required']).default('off'),
  })
  .strict()
  .prefault({});

export const enforcementConfigSchema = z
  .object({
    /** proxy: forward to `upstream.url`; embedded: an in-process broker for small sites. */
    mode: z.enum(['proxy', 'embedded']).default('proxy'),
    /** Address the listeners bind; set 0.0.0.0 to serve other hosts. */
    host: z.string().default('127.0.0.1'),
    upstream: z
      .object({
        /** The core broker: mqtt://host:port or mqtts://host:port. */
        url: z
          .string()
          .regex(/^mqtts?:\/\/[^\s/]+:\d+\/?$/, 'must be mqtt://host:port or mqtts://host:port')
          .default('mqtt://127.0.0.1:1884'),
        /** Largest packet accepted from the broker, bytes. */
        maxPacketSize: z
          .number()
          .int()
          .min(64)
          .default(16 * 1024 * 1024),
        /** Skip certificate verification of an mqtts:// upstream (testing only). */
        insecure: z.boolean().default(false),
        /**
         * MQTT level spoken upstream for MQTT 5.0 devices: 5 forwards them as they are, 4 translates each
         * session to 3.1.1 (for brokers that speak only 3.1.1, such as nats-server's MQTT listener), auto
         * sends 5.0 until the broker refuses it once, then translates. 3.1.1 devices are never translated.
         */
        protocol: z
          .union([z.literal('auto'), z.literal(4), z.literal(5)], { error: 'must be auto, 4 or 5' })
          .default('auto'),
        /**
         * Highest QoS the broker takes from a translated session. 1 for a broker without QoS 2 (nats-server
         * 2.9): the node then completes the QoS 2 exchange with the device and forwards QoS 1.
         */
        maxQos: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 or 2' }).default(2),
      })
      .strict()
      .prefault({}),
    tcp: z
      .object({ enabled: z.boolean().default(true), port: port.default(1883) })
      .strict()
      .prefault({}),
    tls: tlsSchema,
    ws: z
      .object({
        enabled: z.boolean().default(true),
        port: port.default(8083),
        /** HTTP path of the WebSocket endpoint. */
        path: z.string().startsWith('/').default('/mqtt'),
      })
      .strict()
      .prefault({}),
    protocol: z
      .object({
        /** Largest packet a device may send (fixed header included), bytes; refused while reading. */
        maxPacketSize: z
          .number()
          .int()
          .min(64)
          .max(268_435_460)
          .default(256 * 1024),
        /** Time from connection to CONNECT, ms. */
        connectTimeoutMs: z.number().int().min(100).default(10_000),
        /** Sessions silent for keep-alive × this are closed [MQTT-3.1.2-24]. */
        keepAliveFactor: z.number().min(1).max(10).default(1.5),
        /** Accept MQTT 3.1 ('MQIsdp', level 3). */
        allowMqtt31: z.boolean().default(false),
        /** Accept an empty client id (the broker assigns one). */
        allowEmptyClientId: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Device-bound certificates: the mTLS certificate CN must equal the client id. */
    certBinding: z.enum(['off', 'when-present', 'required']).default('off'),
    events: z
      .object({
        /** Allowed PUBLISH as one summary per client per interval, or one event per message. */
        publish: z.enum(['summary', 'each']).default('summary'),
        summaryIntervalMs: z.number().int().min(100).default(10_000),
      })
      .strict()
      .prefault({}),
    /** Worker processes sharing the ports (1: one process). Connections are spread by source-IP hash. */
    workers: z.number().int().min(1).max(256).default(1),
    /** Prometheus /metrics port of the node (0: off). */
    metricsPort: port.default(9464),
    /** Period of the session sweeper (connect timeout, keep-alive, summaries), ms. */
    sweepMs: z.number().int().min(10).max(5000).default(250),
    rateLimits: rateLimitsConfigSchema,
    acl: aclConfigSchema,
    auth: authConfigSchema,
    penaltyBox: penaltyBoxConfigSchema,
    /** Payload inspection and MQTT threat detection (src/inspection/README.md). */
    inspection: inspectionConfigSchema,
  })
  .strict()
  .superRefine((c, ctx) => {
    // One in-process broker per node: workers would each run their own and split the topic space.
    if (c.mode === 'embedded' && c.workers > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['workers'],
        message: 'embedded mode runs one broker: workers must be 1',
      });
    }
  })
  .prefault({});

export type EnforcementConfig = z.output<typeof enforcementConfigSchema>;
