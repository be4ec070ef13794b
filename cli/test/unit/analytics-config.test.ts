import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sentinel/ingest';
import { loadConfig } from '../../config.ts';

describe('analytics configuration', () => {
  it('runs on embedded chDB by default with 30 days of retention', () => {
    const { config } = loadConfig(undefined, {});
    expect(config.analytics.clickhouse.url).toBeUndefined();
    expect(config.analytics.retentionDays).toBe(30);
  });

  it('SENTINEL_CLICKHOUSE_URL is the short name of analytics.clickhouse.url; the long name wins', () => {
    expect(
      loadConfig(undefined, { SENTINEL_CLICKHOUSE_URL: 'http://ch:8123' }).config.analytics.clickhouse.url,
    ).toBe('http://ch:8123');
    const both = loadConfig(undefined, {
      SENTINEL_CLICKHOUSE_URL: 'http://short:8123',
      SENTINEL_ANALYTICS_CLICKHOUSE_URL: 'http://long:8123',
    });
    expect(both.config.analytics.clickhouse.url).toBe('http://long:8123');
  });

  it('a bad ClickHouse URL or allowlist entry stops the start naming key and value', () => {
    expect(() => loadConfig(undefined, { SENTINEL_CLICKHOUSE_URL: 'ch:8123' })).toThrow(ConfigError);
    expect(() => loadConfig(undefined, { SENTINEL_CLICKHOUSE_URL: 'ch:8123' })).toThrow(
      /analytics\.clickhouse\.url.*ch:8123/,
    );
    expect(() => loadConfig(undefined, { SENTINEL_ANALYTICS_ALLOWLIST: 'ip:10.0.0.0/33' })).toThrow(
      /analytics\.allowlist/,
    );
  });
});
