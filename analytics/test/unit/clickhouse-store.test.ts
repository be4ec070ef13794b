// The ClickHouse server path without a server: what ClickHouseStore hands to @clickhouse/client (the SQL
// text with {name:Type} placeholders, values only as query_params). The integration test
// clickhouse-http.test.ts runs the same path end to end against chDB behind ClickHouse's HTTP interface.
import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { ClickHouseStore, StoreError, clickhouseUrl, analyticsConfigSchema } from '@sentinel/analytics';

function recordingClient(): {
  client: ClickHouseClient;
  calls: { kind: string; args: Record<string, unknown> }[];
} {
  const calls: { kind: string; args: Record<string, unknown> }[] = [];
  const client = {
    query: async (args: Record<string, unknown>) => {
      calls.push({ kind: 'query', args });
      return { json: async () => [{ n: 1 }] };
    },
    command: async (args: Record<string, unknown>) => {
      calls.push({ kind: 'command', args });
      return {};
    },
    insert: async (args: Record<string, unknown>) => {
      calls.push({ kind: 'insert', args });
      if (args.table === 'events_v1' && (args.values as unknown[]).length === 0) throw new Error('empty');
      return {};
    },
    close: async () => undefined,
  } as unknown as ClickHouseClient;
  return { client, calls };
}

describe('ClickHouse server store', () => {
  it('sends values as query_params, never inside the SQL text', async () => {
    const { client, calls } = recordingClient();
    const store = new ClickHouseStore({
      url: 'http://127.0.0.1:8123',
      database: 'default',
      username: 'default',
      client,
    });
    const hostile = "x' OR 1=1 --";
    const rows = await store.query('SELECT count() AS n FROM events_v1 WHERE ip = {ip:String}', {
      ip: hostile,
    });
    expect(rows).toEqual([{ n: 1 }]);
    expect(calls[0]).toEqual({
      kind: 'query',
      args: {
        query: 'SELECT count() AS n FROM events_v1 WHERE ip = {ip:String}',
        query_params: { ip: hostile },
        format: 'JSONEachRow',
      },
    });
    expect(JSON.stringify(calls[0]?.args.query)).not.toContain('OR 1=1');
  });

  it('inserts JSONEachRow rows into allow-listed tables only', async () => {
    const { client, calls } = recordingClient();
    const store = new ClickHouseStore({
      url: 'http://127.0.0.1:8123',
      database: 'default',
      username: 'default',
      client,
    });
    await store.insert('decisions_v1', [{ id: 'a' }]);
    expect(calls[0]).toEqual({
      kind: 'insert',
      args: { table: 'decisions_v1', values: [{ id: 'a' }], format: 'JSONEachRow' },
    });
    await expect(store.insert('users; DROP TABLE x' as never, [{ id: 'a' }])).rejects.toThrow(
      /not allow-listed/,
    );
  });

  it('wraps engine errors in StoreError with the SQL but no values', async () => {
    const client = {
      command: async () => {
        throw new Error('Code: 62. Syntax error');
      },
    } as unknown as ClickHouseClient;
    const store = new ClickHouseStore({
      url: 'http://x:1',
      database: 'default',
      username: 'default',
      client,
    });
    const err = await store.exec('ALTER TABLE x {v:String}', { v: 'secret-value' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).context.sql).toBe('ALTER TABLE x {v:String}');
    expect(JSON.stringify((err as StoreError).context)).not.toContain('secret-value');
  });

  it('SENTINEL_CLICKHOUSE_URL selects the server path; a bad URL names the key', () => {
    const cfg = analyticsConfigSchema.parse({});
    expect(clickhouseUrl(cfg, {})).toBeUndefined();
    expect(clickhouseUrl(cfg, { SENTINEL_CLICKHOUSE_URL: 'http://ch:8123' })).toBe('http://ch:8123');
    expect(() => clickhouseUrl(cfg, { SENTINEL_CLICKHOUSE_URL: 'ch:8123' })).toThrow(
      /analytics\.clickhouse\.url|SENTINEL_CLICKHOUSE_URL/,
    );
  });
});
