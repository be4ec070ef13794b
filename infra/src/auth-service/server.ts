// The reference auth service: POST /auth with {clientId, username, password, ip, certFingerprint} answers
// {allow, reason, acl?, expiresAt?}; GET /healthz answers 200 once the database is reachable. No framework:
// one small handler on node:http with keep-alive, bodies capped, errors answered 500 (the node then fails
// closed) and never echoed with secrets.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { createConnection, createPool } from 'mysql2/promise';
import type { Pool } from 'mysql2/promise';
import type { AuthDbConfig } from './config.ts';
import { ensureSchema } from './schema.ts';
import { CredentialStore } from './store.ts';
import type { AuthRequest } from './store.ts';

const MAX_BODY = 16 * 1024;

export interface AuthServiceOptions {
  db: AuthDbConfig;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Bearer token required on /auth; empty: none. */
  token?: string;
  /** Called for each failed request (never with the password). */
  onError?: (err: unknown) => void;
}

export interface AuthServiceStats {
  /** POST /auth requests received. */
  requests: number;
  allowed: number;
  denied: number;
  errors: number;
}

export interface AuthService {
  url: string;
  port: number;
  store: CredentialStore;
  pool: Pool;
  stats: AuthServiceStats;
  stop(): Promise<void>;
}

function connectionOptions(db: AuthDbConfig) {
  return db.socketPath
    ? { socketPath: db.socketPath, user: db.user, password: db.password }
    : { host: db.host, port: db.port, user: db.user, password: db.password };
}

/** Create the schema if needed and open a pool on it. */
export async function openAuthDb(db: AuthDbConfig): Promise<Pool> {
  const conn = await createConnection(connectionOptions(db));
  try {
    await ensureSchema(conn, db.database);
  } finally {
    await conn.end();
  }
  return createPool({
    ...connectionOptions(db),
    database: db.database,
    connectionLimit: db.connections,
    enableKeepAlive: true,
    supportBigNumbers: true,
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function parseRequest(body: Buffer): AuthRequest | undefined {
  let o: unknown;
  try {
    o = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object') return undefined;
  const r = o as Record<string, unknown>;
  const clientId = str(r.clientId);
  if (clientId === undefined || clientId.length > 255) return undefined;
  const out: AuthRequest = { clientId };
  for (const k of ['username', 'password', 'ip', 'certFingerprint'] as const) {
    const v = str(r[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function send(res: ServerResponse, status: number, body: unknown, started?: number): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  };
  // Time spent inside the service (body read, lookup, hash), so clients can tell it from network and queueing.
  if (started !== undefined) headers['server-timing'] = `app;dur=${(performance.now() - started).toFixed(3)}`;
  res.writeHead(status, headers);
  res.end(text);
}

function authorized(req: IncomingMessage, token: string): boolean {
  if (!token) return true;
  const got = Buffer.from(req.headers.authorization ?? '');
  const want = Buffer.from(`Bearer ${token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function startAuthService(opts: AuthServiceOptions): Promise<AuthService> {
  const pool = await openAuthDb(opts.db);
  const store = new CredentialStore(pool);
  const stats: AuthServiceStats = { requests: 0, allowed: 0, denied: 0, errors: 0 };
  const token = opts.token ?? '';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method === 'GET' && req.url === '/healthz') {
      await pool.query('SELECT 1');
      send(res, 200, { ok: true });
      return;
    }
    if (req.method !== 'POST' || req.url !== '/auth') {
      send(res, 404, { error: 'POST /auth' });
      return;
    }
    stats.requests += 1;
    const started = performance.now();
    if (!authorized(req, token)) {
      send(res, 401, { error: 'bad token' });
      return;
    }
    const parsed = parseRequest(await readBody(req));
    if (!parsed) {
      send(res, 400, { error: 'expected JSON {clientId, username?, password?, ip?, certFingerprint?}' });
      return;
    }
    const answer = await store.check(parsed);
    if (answer.allow) stats.allowed += 1;
    else stats.denied += 1;
    send(res, 200, answer, started);
  };

  const server: Server = createServer({ keepAlive: true, keepAliveTimeout: 60_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      stats.errors += 1;
      opts.onError?.(err);
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/auth`,
    port,
    store,
    pool,
    stats,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await pool.end();
    },
  };
}
