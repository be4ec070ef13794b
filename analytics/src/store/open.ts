// Picks the engine: a ClickHouse server when a URL is configured (analytics.clickhouse.url, or the
// shorter SENTINEL_CLICKHOUSE_URL), otherwise embedded chDB under the data directory.
import { join, resolve } from 'node:path';
import { ConfigError } from '@sentinel/ingest';
import type { AnalyticsConfig } from '../config.ts';
import { ChdbStore } from './chdb.ts';
import { ClickHouseStore } from './clickhouse.ts';
import type { Store } from './store.ts';

export function clickhouseUrl(
  cfg: AnalyticsConfig,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const url = cfg.clickhouse.url ?? env.SENTINEL_CLICKHOUSE_URL;
  if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url)) {
    throw new ConfigError(
      `SENTINEL_CLICKHOUSE_URL must be an http:// or https:// URL, got ${JSON.stringify(url)}`,
      {
        key: 'analytics.clickhouse.url',
        value: url,
        source: 'env SENTINEL_CLICKHOUSE_URL',
      },
    );
  }
  return url;
}

export function openStore(
  cfg: AnalyticsConfig,
  dataDir: string,
  env: Record<string, string | undefined> = process.env,
): Store {
  const url = clickhouseUrl(cfg, env);
  if (url) {
    return new ClickHouseStore({
      url,
      database: cfg.clickhouse.database,
      username: cfg.clickhouse.username,
      ...(cfg.clickhouse.password !== undefined ? { password: cfg.clickhouse.password } : {}),
    });
  }
  return new ChdbStore(resolve(join(dataDir, cfg.chdbDir)));
}
