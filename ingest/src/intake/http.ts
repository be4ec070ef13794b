// HTTP intake: POST /v1/events with one DecisionEventV1, a JSON array of them, or NDJSON; a bearer
// token compared in constant time; a body limit enforced while reading; all-or-nothing validation;
// 202 only once every event is acknowledged by JetStream or in the spool file; 503 + Retry-After while
// the publisher is spooling beyond its bound. GET /healthz and GET /metrics (no token: no event data).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { DecisionEventV1 } from '../contract/v1.ts';
import { readBatch } from './batch.ts';
import type { IntakeMetrics } from './metrics.ts';
import { IntakeSink } from './sink.ts';
import type { Logger } from '../util/log.ts';

export interface HttpIntakeOptions {
  /** Undefined: only /healthz and /metrics are served (syslog-only intake). */
  token: string | undefined;
  maxBodyBytes: number;
  maxEvents: number;
  retryAfterS: number;
  sink: IntakeSink;
  metrics: IntakeMetrics;
  registry: Registry;
  log: Logger;
}

const EVENTS_PATH = '/v1/events';
const BEARER_CHALLENGE = 'Bearer realm="sentinel-intake"';
const BUSY_BODY = { error: 'intake is spooling while NATS is away; retry later' };

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant time over the secret: both sides are hashed to equal length before the comparison. */
export function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer (\S+)$/i.exec(header ?? '');
  const given = digest(m?.[1] ?? '');
  return timingSafeEqual(given, expected) && m !== null;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.resume(); // drain without keeping the bytes, so the 413 can be written
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function httpIntakeHandler(o: HttpIntakeOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = o.token === undefined ? undefined : digest(o.token);
  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    o.metrics.requests.inc({ status: String(status) });
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };

  const refuse = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    outcome: 'refused' | 'invalid' = 'refused',
  ): undefined => {
    o.metrics.received.inc({ source: 'http', outcome });
    send(res, status, body, headers);
    return undefined;
  };
  const busy = (res: ServerResponse): undefined =>
    refuse(res, 503, BUSY_BODY, { 'retry-after': String(o.retryAfterS) });
  const tooLarge = (res: ServerResponse): undefined =>
    refuse(res, 413, { error: `body larger than ${o.maxBodyBytes} bytes` }, { connection: 'close' });

  /** The request's events, or undefined once it has been answered with a refusal. */
  async function readEvents(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{ events: DecisionEventV1[]; bytes: number } | undefined> {
    if (Number(req.headers['content-length'] ?? 0) > o.maxBodyBytes) return tooLarge(res);
    let body: string;
    try {
      body = await readBody(req, o.maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) return tooLarge(res);
      throw err;
    }
    const batch = readBatch(body, req.headers['content-type'], o.maxEvents);
    if (!batch.ok) {
      const answer = { error: batch.error, accepted: 0, problems: batch.problems };
      return refuse(res, batch.status, answer, {}, batch.status === 413 ? 'refused' : 'invalid');
    }
    return { events: batch.events, bytes: Buffer.byteLength(body) };
  }

  async function postEvents(req: IncomingMessage, res: ServerResponse, token: Buffer): Promise<void> {
    if (!tokenMatches(req.headers.authorization, token)) {
      refuse(res, 401, { error: 'missing or wrong bearer token' }, { 'www-authenticate': BEARER_CHALLENGE });
      return;
    }
    if (o.sink.busy()) return void busy(res);
    const read = await readEvents(req, res);
    if (!read) return;
    const estimate = IntakeSink.spoolEstimate(read.bytes, read.events.length);
    if (o.sink.busy(estimate)) return void busy(res);
    const r = await o.sink.accept(read.events, estimate);
    const accepted = r.published + r.spooled;
    o.metrics.received.inc({ source: 'http', outcome: 'accepted' }, accepted);
    if (r.dropped === 0) {
      send(res, 202, { accepted, published: r.published, spooled: r.spooled });
      return;
    }
    o.metrics.received.inc({ source: 'http', outcome: 'dropped' }, r.dropped);
    o.log.error('intake spool full: events refused', { dropped: r.dropped });
    const error =
      'the spool is full; send the batch again later (ids already taken are dropped as duplicates)';
    send(res, 503, { error, accepted, dropped: r.dropped }, { 'retry-after': String(o.retryAfterS) });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' && req.method === 'GET') {
      // 200 while events are taken (also while spooling: nothing is lost); 503 once senders are turned away.
      const s = o.sink.publisher.getStats();
      const turnedAway = o.sink.busy();
      const status = turnedAway ? 'busy' : s.mode === 'live' ? 'ok' : 'spooling';
      send(res, turnedAway ? 503 : 200, { status, publisher: s.mode, spoolBytes: s.spoolBytes });
      return;
    }
    if (path === '/metrics' && req.method === 'GET') {
      const text = await o.registry.metrics();
      res.writeHead(200, { 'content-type': o.registry.contentType }).end(text);
      return;
    }
    if (path === EVENTS_PATH && expected) {
      if (req.method !== 'POST') {
        send(res, 405, { error: 'use POST' }, { allow: 'POST' });
        return;
      }
      await postEvents(req, res, expected);
      return;
    }
    send(res, 404, { error: 'not found' });
  }

  return (req, res) => {
    const end = o.metrics.requestSeconds.startTimer();
    route(req, res)
      .catch((err: unknown) => {
        o.log.error('intake request failed', { err: (err as Error).message });
        if (!res.headersSent) send(res, 500, { error: 'internal error' });
        else res.destroy();
      })
      .finally(() => end());
  };
}
