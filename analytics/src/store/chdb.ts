// The embedded engine: one chDB Session per process and data path (chDB allows no more), used only through
// its asynchronous calls, which run on a libuv worker thread so the event loop keeps serving NATS.
import { mkdirSync } from 'node:fs';
import { Session, drainPending } from 'chdb';
import { StoreError } from '../errors.ts';
import type { Params, Store } from './store.ts';
import { assertTable } from './tables.ts';
import type { TableName } from './tables.ts';

export class ChdbStore implements Store {
  readonly engine = 'chdb' as const;
  private readonly session: Session;

  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    this.session = new Session(path);
  }

  async query<T = Record<string, unknown>>(sql: string, params: Params = {}): Promise<T[]> {
    const text = await this.run(sql, params, 'JSONEachRow');
    if (text.length === 0) return [];
    const rows: T[] = [];
    for (const line of text.split('\n')) if (line.length > 0) rows.push(JSON.parse(line) as T);
    return rows;
  }

  async exec(sql: string, params: Params = {}): Promise<void> {
    await this.run(sql, params, 'CSV');
  }

  async insert(table: TableName, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return;
    const payload = Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n'));
    try {
      await this.session.insert({ table: assertTable(table), values: payload, format: 'JSONEachRow' });
    } catch (err) {
      throw new StoreError(
        `chDB insert into ${table} failed: ${(err as Error).message}`,
        `INSERT INTO ${table}`,
        err,
      );
    }
  }

  async insertTsv(table: TableName, columns: readonly string[], lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const payload = Buffer.from(lines.join('\n'));
    try {
      await this.session.insert({
        table: assertTable(table),
        values: payload,
        format: 'TabSeparated',
        columns,
      });
    } catch (err) {
      throw new StoreError(
        `chDB insert into ${table} failed: ${(err as Error).message}`,
        `INSERT INTO ${table}`,
        err,
      );
    }
  }

  /**
   * A payload already in the engine's text format, handed over as bytes: what the benchmark's floor peer
   * inserts straight from JetStream messages. Table and columns are constants of the caller.
   */
  async insertRaw(
    table: TableName,
    format: 'JSONEachRow' | 'TabSeparated',
    payload: Uint8Array,
    columns?: readonly string[],
  ): Promise<void> {
    try {
      await this.session.insert({
        table: assertTable(table),
        values: payload,
        format,
        ...(columns ? { columns } : {}),
      });
    } catch (err) {
      throw new StoreError(
        `chDB insert into ${table} failed: ${(err as Error).message}`,
        `INSERT INTO ${table}`,
        err,
      );
    }
  }

  /** Resolves once the engine let go of the data path, so another session may open (tests, rebuild). */
  async close(): Promise<void> {
    this.session.close();
    await drainPending();
  }

  private async run(sql: string, params: Params, format: string): Promise<string> {
    try {
      const res = await this.session.queryBindAsync(sql, params, { format });
      return res.text();
    } catch (err) {
      throw new StoreError(`chDB query failed: ${(err as Error).message}`, sql, err);
    }
  }
}
