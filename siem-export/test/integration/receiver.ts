// A real HTTP receiver for the webhook and HEC sinks: a node:http server that records every body, can
// refuse records, and can be stopped and started again on the same port.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getFreePort } from '@sentinel/infra';

export interface Receiver {
  port: number;
  url: string;
  bodies: { path: string; headers: IncomingMessage['headers']; body: string }[];
  /** Answer for a request; default 200. */
  respond: (
    path: string,
    body: string,
    headers: IncomingMessage['headers'],
  ) => { status: number; body?: string };
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startReceiver(port?: number): Promise<Receiver> {
  const p = port ?? (await getFreePort());
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const r: Receiver = {
    port: p,
    url: `http://127.0.0.1:${p}`,
    bodies: [],
    respond: () => ({ status: 200, body: '{"text":"Success","code":0}' }),
    async start() {
      server = createServer((req: IncomingMessage, res: ServerResponse) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const answer = r.respond(req.url ?? '/', body, req.headers);
          if (answer.status >= 200 && answer.status < 300)
            r.bodies.push({ path: req.url ?? '/', headers: req.headers, body });
          res.writeHead(answer.status, { 'content-type': 'application/json' });
          res.end(answer.body ?? '{}');
        });
      });
      server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((resolve) => server?.listen(p, '127.0.0.1', resolve));
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  return r;
}
