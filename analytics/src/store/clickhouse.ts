// A ClickHouse server or cluster through @clickhouse/client: the same SQL and the same `{name:Type}`
// parameters as chDB, sent as query_params so the server binds them.
import { Readable } from 'node:stream';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { StoreError } from '../errors.ts';
import type { Params, Store } from './store.ts';
import { assertTable } from './tables.ts';
import type { TableName } from './tables.ts';

export interface ClickHouseStoreOptions {
  url: string;
  database: string;
  username: string;
  password?: string;
  /** Injected in unit tests to observe what is sent. */
  client?: ClickHouseClient;
}

export class ClickHouseStore implements Store {
  readonly engine = 'clickhouse' as const;
  private readonly client: ClickHouseClient;

  constructor(o: ClickHouseStoreOptions) {
    this.client =
      o.client ??
      createClient({
        url: o.url,
        database: o.database,
        username: o.username,
        ...(o.password !== undefined ? { password: o.password } : {}),
        request_timeout: 60_000,
        // a batch is acked right after its insert returns, so the insert must be durable when it does
        clickhouse_settings: { async_insert: 0, wait_end_of_query: 1 },
      });
  }

  async query<T = Record<string, unknown>>(sql: string, params: Params = {}): Promise<T[]> {
    try {
      const rs = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
      return await rs.json<T>();
    } catch (err) {
      throw new StoreError(`ClickHouse query failed: ${(err as Error).message}`, sql, err);
    }
  }

  async exec(sql: string, params: Params = {}): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: params });
    } catch (err) {
      throw new StoreError(`ClickHouse command failed: ${(err as Error).message}`, sql, err);
    }
  }

  async insert(table: TableName, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({
        table: assertTable(table),
        values: rows as object[],
        format: 'JSONEachRow',
      });
    } catch (err) {
      throw new StoreError(
        `ClickHouse insert into ${table} failed: ${(err as Error).message}`,
        `INSERT INTO ${table}`,
        err,
      );
    }
  }

  async insertTsv(table: TableName, columns: readonly string[], lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const [first, ...rest] = columns;
    if (first === undefined)
      throw new StoreError('an insert needs at least one column', `INSERT INTO ${table}`);
    try {
      await this.client.insert({
        table: assertTable(table),
        values: Readable.from([Buffer.from(`${lines.join('\n')}\n`)], { objectMode: false }),
        format: 'TabSeparated',
        columns: [first, ...rest],
      });
    } catch (err) {
      throw new StoreError(
        `ClickHouse insert into ${table} failed: ${(err as Error).message}`,
        `INSERT INTO ${table}`,
        err,
      );
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
