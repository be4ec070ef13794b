// One interface in front of two engines that run the same SQL: embedded chDB and a ClickHouse server.
// Values always travel as bound parameters written `{name:Type}` in the SQL; identifiers (table names)
// come from the fixed allow-list in tables.ts, never from input.
import type { TableName } from './tables.ts';

export type Params = Record<string, string | number | boolean | null | readonly (string | number)[]>;

export interface Store {
  readonly engine: 'chdb' | 'clickhouse';
  /** A SELECT; rows come back as JSONEachRow objects. */
  query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  /** DDL, INSERT … SELECT, ALTER: anything without a result. */
  exec(sql: string, params?: Params): Promise<void>;
  /** Insert rows as JSONEachRow into an allow-listed table. */
  insert(table: TableName, rows: readonly object[]): Promise<void>;
  /**
   * Insert TabSeparated lines (escaped by the caller, see tsvEscape) into these columns of an allow-listed
   * table: the ingest hot path, which builds its lines without an object per row.
   */
  insertTsv(table: TableName, columns: readonly string[], lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
