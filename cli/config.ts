// The whole configuration: one schema composed of each package's section. Parsed once at start by
// loadConfig(); every subcommand receives the result.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  intakeConfigSchema,
  natsConfigSchema,
  parseConfig,
  publisherConfigSchema,
  streamsConfigSchema,
} from '@sentinel/ingest';
import { analyticsConfigSchema } from '@sentinel/analytics';
import { authServiceConfigSchema } from '@sentinel/infra';
import { bridgeConfigSchema, enforcementConfigSchema } from '@sentinel/enforcement';
import { apiConfigSchema } from '@sentinel/api';
import { exportConfigSchema } from '@sentinel/siem-export';
import { z } from 'zod';

const port = z.number().int().min(1).max(65535);

export const stackConfigSchema = z
  .object({
    /** nats-server client port of the local stack. */
    natsPort: port.default(4222),
    /** nats-server monitoring port (/healthz, /varz). */
    natsMonitorPort: port.default(8222),
    /** MQTT port of the core broker behind the enforcement nodes. */
    coreMqttPort: port.default(1884),
    /**
     * The core broker: `nats` is nats-server's own MQTT listener (one process for events and MQTT);
     * `mosquitto` runs Mosquitto on `coreMqttPort` instead (QoS 1 delivery that scales with sessions;
     * nats-server 2.9's MQTT QoS 1 costs grow with the number of subscribed sessions, see docs/benchmarks.md).
     */
    coreBroker: z.enum(['nats', 'mosquitto']).default('nats'),
    /** nats-server binary. */
    natsBinary: z.string().default('nats-server'),
    /** Go GC target of nats-server (GOGC; an exported GOGC wins): higher trades memory for CPU. */
    natsGogc: z.number().int().min(10).max(10_000).default(400),
    /** Mosquitto binary, when `coreBroker` is `mosquitto`. */
    mosquittoBinary: z.string().default('mosquitto'),
  })
  .strict()
  .prefault({});

export const sentinelConfigSchema = z
  .object({
    /** Folder for local state: JetStream store, spool, chDB data, logs. */
    dataDir: z.string().default('.sentinel'),
    node: z
      .object({
        /** This node's name in events; defaults to the host name. */
        name: z
          .string()
          .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, dot, dash or underscore')
          .optional(),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(['debug', 'info', 'warn', 'error']).default('info') })
      .strict()
      .prefault({}),
    nats: natsConfigSchema,
    streams: streamsConfigSchema,
    publisher: publisherConfigSchema,
    stack: stackConfigSchema,
    /** Analytics: store, batching, retention, rules, scores, bans (analytics/README.md). */
    analytics: analyticsConfigSchema,
    /** The reference auth service and its MariaDB (infra/README.md). */
    authService: authServiceConfigSchema,
    /** The enforcement node: listeners, upstream, protocol limits, rate limits, ACLs, auth, bans (enforcement/README.md). */
    enforcement: enforcementConfigSchema,
    /** The MQTT <-> WSS bridge to the customer origin: brokers, mapping rules, backoff (enforcement/README.md). */
    bridge: bridgeConfigSchema,
    /** The REST API, live stream, tokens, rate limits and compliance reports (api/README.md). */
    api: apiConfigSchema,
    /** SIEM export: sinks with their kind, format, filters and delivery settings (docs/sinks/). */
    export: exportConfigSchema,
    /** External event intake: HTTP POST /v1/events and syslog (Mosquitto logs, JSON events); off by default (ingest/README.md). */
    intake: intakeConfigSchema,
  })
  .strict();

export type SentinelConfig = z.output<typeof sentinelConfigSchema>;

export interface LoadedConfig {
  config: SentinelConfig;
  file: string | undefined;
}

/**
 * SENTINEL_CLICKHOUSE_URL is the documented short name of analytics.clickhouse.url: it switches analytics
 * from embedded chDB to a ClickHouse server. The long name wins when both are set.
 */
function withShortNames(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const { SENTINEL_CLICKHOUSE_URL: short, ...rest } = env;
  if (short === undefined || rest.SENTINEL_ANALYTICS_CLICKHOUSE_URL !== undefined) return rest;
  return { ...rest, SENTINEL_ANALYTICS_CLICKHOUSE_URL: short };
}

/** Read sentinel.yaml (or the given file) and the environment; throws ConfigError on a bad value. */
export function loadConfig(
  file?: string,
  env: Record<string, string | undefined> = process.env,
): LoadedConfig {
  const path = file ?? env.SENTINEL_CONFIG_FILE ?? 'sentinel.yaml';
  const abs = resolve(path);
  const exists = existsSync(abs);
  if (file && !exists) {
    throw new Error(`config file ${path} does not exist`);
  }
  const config = parseConfig(sentinelConfigSchema, {
    ...(exists ? { yamlText: readFileSync(abs, 'utf8'), yamlName: path } : {}),
    env: withShortNames(env),
  });
  return { config, file: exists ? path : undefined };
}
