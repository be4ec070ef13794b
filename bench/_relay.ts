// A helper process of `npm run bench -- proxy`: a plain TCP relay in Node — accept, connect upstream,
// pipe both ways, no MQTT work at all. It is the floor of any Node process between devices and the
// broker: the extra hop (two more socket reads and writes per batch, one more process to schedule) with
// nothing else. Prints "relay up <port>" when listening; exits on SIGTERM.
import { connect, createServer } from 'node:net';

const target = Number(process.argv[2]);

const server = createServer((device) => {
  device.setNoDelay(true);
  const up = connect({ host: '127.0.0.1', port: target });
  up.setNoDelay(true);
  device.pipe(up);
  up.pipe(device);
  device.on('error', () => up.destroy());
  up.on('error', () => device.destroy());
  device.on('close', () => up.destroy());
  up.on('close', () => device.destroy());
});

server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stderr.write(`relay up ${a && typeof a === 'object' ? a.port : 0}\n`);
});
process.on('SIGTERM', () => process.exit(0));
