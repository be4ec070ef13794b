// A helper process of `npm run bench -- proxy`: opens N idle MQTT sessions (raw sockets, one CONNECT
// each, keep-alive 0) to host:port and holds them until stdin closes. Prints "ready <n> <failed>" once
// every CONNACK is in. Several of these spread the client side over processes (file descriptor limits).
import { connect } from 'node:net';
import type { Socket } from 'node:net';

const [port, count, prefix] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? 'idle'];
const sockets: Socket[] = [];
let ok = 0;
let failed = 0;

function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const body = [0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 0, id.length >> 8, id.length & 0xff, ...id];
  return Buffer.from([0x10, body.length, ...body]);
}

function one(i: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    const done = (good: boolean): void => {
      if (good) ok++;
      else failed++;
      resolve();
    };
    s.once('error', () => done(false));
    s.once('data', (d: Buffer) => done(d[0] === 0x20 && d[3] === 0));
    s.once('connect', () => s.write(connectPacket(`${prefix}-${i}`)));
    sockets.push(s);
  });
}

let next = 0;
const worker = async (): Promise<void> => {
  while (next < count) await one(next++);
};
await Promise.all(Array.from({ length: 32 }, worker));
process.stdout.write(`ready ${ok} ${failed}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
