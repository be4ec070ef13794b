// Bulk creation of device credentials for demos and benchmarks: N devices with generated 128-bit secrets,
// stored as salted HMAC-SHA256, inserted as multi-row prepared INSERTs inside large transactions while the
// next batch is generated. The clear secrets go to one file (mode 0600) that the demo and bench read.
import { createWriteStream, fchmodSync, mkdirSync, openSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { hmacHash } from './hash.ts';

export interface PopulateOptions {
  pool: Pool;
  count: number;
  /** Client ids are <prefix><zero-padded number>; the username equals the client id. */
  prefix?: string;
  /** First number (default 1). */
  start?: number;
  /** Credentials file: "client_id,username,secret" lines after a header. */
  file: string;
  batchRows?: number;
  rowsPerTransaction?: number;
  onProgress?: (done: number, total: number, elapsedMs: number) => void;
}

export interface PopulateResult {
  count: number;
  file: string;
  elapsedMs: number;
}

interface Batch {
  params: (string | Buffer)[];
  lines: string;
  rows: number;
}

const SECRET_BYTES = 16;

function makeBatch(prefix: string, from: number, rows: number, width: number): Batch {
  const secrets = randomBytes(SECRET_BYTES * rows);
  const salts = randomBytes(16 * rows);
  const params: (string | Buffer)[] = new Array<string | Buffer>(rows * 4);
  let lines = '';
  for (let i = 0; i < rows; i++) {
    const id = `${prefix}${String(from + i).padStart(width, '0')}`;
    const secret = secrets.subarray(i * SECRET_BYTES, (i + 1) * SECRET_BYTES).toString('base64url');
    const salt = salts.subarray(i * 16, (i + 1) * 16);
    params[i * 4] = id;
    params[i * 4 + 1] = id;
    params[i * 4 + 2] = hmacHash(secret, salt);
    params[i * 4 + 3] = Buffer.from(salt);
    lines += `${id},${id},${secret}\n`;
  }
  return { params, lines, rows };
}

function insertSql(rows: number): string {
  return (
    'INSERT INTO devices (client_id, username, secret_hash, salt, hash_alg) VALUES ' +
    new Array<string>(rows).fill("(?, ?, ?, ?, 'hmac-sha256')").join(', ') +
    ' ON DUPLICATE KEY UPDATE username = VALUES(username), secret_hash = VALUES(secret_hash), salt = VALUES(salt),' +
    ' hash_alg = VALUES(hash_alg), enabled = 1, acl = NULL, expires_at = NULL'
  );
}

function write(out: WriteStream, text: string): Promise<void> {
  return out.write(text) ? Promise.resolve() : new Promise((r) => out.once('drain', () => r()));
}

export async function populateDevices(opts: PopulateOptions): Promise<PopulateResult> {
  const prefix = opts.prefix ?? 'dev-';
  const start = opts.start ?? 1;
  const batchRows = opts.batchRows ?? 1000;
  const perTxn = opts.rowsPerTransaction ?? 50_000;
  const width = Math.max(7, String(start + opts.count - 1).length);
  const began = performance.now();
  mkdirSync(dirname(opts.file), { recursive: true });
  const fd = openSync(opts.file, 'w', 0o600);
  fchmodSync(fd, 0o600); // also when the file already existed with a wider mode
  const out = createWriteStream('', { fd });
  await write(out, 'client_id,username,secret\n');
  const conn: PoolConnection = await opts.pool.getConnection();
  try {
    let done = 0;
    let inTxn = 0;
    await conn.beginTransaction();
    let next: Batch | undefined =
      opts.count > 0 ? makeBatch(prefix, start, Math.min(batchRows, opts.count), width) : undefined;
    while (next) {
      const batch: Batch = next;
      const inserting = conn.execute(insertSql(batch.rows), batch.params);
      const after = done + batch.rows;
      next =
        after < opts.count
          ? makeBatch(prefix, start + after, Math.min(batchRows, opts.count - after), width)
          : undefined;
      await inserting;
      await write(out, batch.lines);
      done = after;
      inTxn += batch.rows;
      if (inTxn >= perTxn) {
        await conn.commit();
        await conn.beginTransaction();
        inTxn = 0;
        opts.onProgress?.(done, opts.count, performance.now() - began);
      }
    }
    await conn.commit();
    if (inTxn > 0 || done === 0) opts.onProgress?.(done, opts.count, performance.now() - began);
  } catch (err) {
    await conn.rollback().catch(() => undefined);
    throw err;
  } finally {
    conn.release();
    await new Promise<void>((resolve, reject) =>
      out.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  }
  return { count: opts.count, file: opts.file, elapsedMs: performance.now() - began };
}

/** Read a credentials file written by populateDevices (for the demo and the benchmarks). */
export async function readCredentials(
  file: string,
  limit = Infinity,
): Promise<{ clientId: string; username: string; secret: string }[]> {
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const out: { clientId: string; username: string; secret: string }[] = [];
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let first = true;
  for await (const line of rl) {
    if (first) {
      first = false;
      continue;
    }
    const [clientId, username, secret] = line.split(',');
    if (clientId && username && secret) out.push({ clientId, username, secret });
    if (out.length >= limit) {
      rl.close();
      break;
    }
  }
  return out;
}
