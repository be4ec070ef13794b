// Plain upstream sockets read into one buffer shared by the whole process (transport/upstream.ts). These
// tests hold that to what the stream layer gave before: every byte, in order, per connection, while chunks
// are kept long after later reads reused the buffer; pause stops reading; the broker's close ends it.
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { upstreamConnector } from '../../src/transport/upstream.ts';

/** A "broker" on a free loopback port; `onConn` gets each accepted socket. */
async function broker(onConn: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConn);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, port: a && typeof a === 'object' ? a.port : 0 };
}

function randomBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Write `data` in random-sized pieces, yielding to the event loop between them so reads interleave. */
async function dribble(s: Socket, data: Buffer, seed: number): Promise<void> {
  let off = 0;
  let x = seed;
  while (off < data.length) {
    x = (x * 1_103_515_245 + 12_345) >>> 0;
    const n = Math.min(data.length - off, 1 + (x % 3000));
    if (!s.write(data.subarray(off, off + n))) await new Promise((r) => s.once('drain', r));
    off += n;
    if (x % 4 === 0) await new Promise((r) => setImmediate(r));
  }
  s.end();
}

const open = (port: number): Duplex =>
  upstreamConnector({ host: '127.0.0.1', port, tls: false, insecure: false })();

describe('plain upstream reads through the shared read buffer', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('delivers every byte in order on each of several connections while earlier chunks are still held', async () => {
    const payloads = [0, 1, 2, 3].map((i) => randomBytes(400_000 + i * 7_919, 17 + i));
    // Each connection names its payload in its first byte.
    const b = await broker((s) => {
      s.once(
        'data',
        (d: Buffer) => void dribble(s, payloads[d[0] as number] as Buffer, 31 + (d[0] as number)),
      );
    });
    server = b.server;
    const received = await Promise.all(
      payloads.map(async (_, i) => {
        const up = open(b.port);
        up.write(Buffer.from([i]));
        // Every chunk is kept: a chunk that were a view of the shared buffer would be overwritten by now.
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        await new Promise((r) => up.once('end', r));
        return chunks;
      }),
    );
    for (const [i, chunks] of received.entries()) {
      expect(chunks.length).toBeGreaterThan(1);
      expect(Buffer.concat(chunks).equals(payloads[i] as Buffer)).toBe(true);
    }
  });

  it('stops reading while paused and reads the rest after resume', async () => {
    const total = 32 * 1024 * 1024;
    const data = randomBytes(total, 99);
    const b = await broker((s) => void dribble(s, data, 5));
    server = b.server;
    const up = open(b.port);
    const chunks: Buffer[] = [];
    let got = 0;
    up.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
    });
    await new Promise<void>((r) => up.once('data', () => r()));
    up.pause();
    await new Promise((r) => setTimeout(r, 100));
    const paused = got;
    await new Promise((r) => setTimeout(r, 300));
    // Nothing read while paused: the bytes wait in the kernel and the broker's writes block.
    expect(got).toBe(paused);
    expect(got).toBeLessThan(total);
    up.resume();
    await new Promise((r) => up.once('end', r));
    expect(got).toBe(total);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('ends and closes when the broker closes the connection', async () => {
    const b = await broker((s) => s.end(Buffer.from([0x20, 0x02, 0x00, 0x00])));
    server = b.server;
    const up = open(b.port);
    const chunks: Buffer[] = [];
    up.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((r) => up.once('end', r));
    const closed = new Promise((r) => up.once('close', r));
    await ended;
    await closed;
    expect(Buffer.concat(chunks)).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x00]));
  });
});
