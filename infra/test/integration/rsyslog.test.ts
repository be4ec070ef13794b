import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRsyslog, tempDir, waitFor } from '../../src/index.ts';
import type { Rsyslog } from '../../src/index.ts';

describe('rsyslog recipe', () => {
  const tmp = tempDir('sentinel-rsyslog-');
  let rs: Rsyslog;
  beforeAll(async () => {
    rs = await startRsyslog({ dir: tmp.dir });
  });
  afterAll(async () => {
    await rs?.stop();
    tmp.cleanup();
  });

  it('rsyslog recipe - UDP, octet-counted TCP and TLS messages land byte for byte in their listener files', async () => {
    const msg = '<134>1 2026-01-01T00:00:00.000Z h app - id - \ufeffü|=\\ tab\there';
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.send(msg, rs.ports.udp, '127.0.0.1', () => r()));
    udp.close();
    const tcp = tcpConnect(rs.ports.tcp as number, '127.0.0.1');
    tcp.end(`${Buffer.byteLength(msg)} ${msg}`);
    const tls = tlsConnect({
      port: rs.ports.tls as number,
      host: '127.0.0.1',
      ca: readFileSync(rs.pki?.caCert ?? ''),
    });
    tls.on('secureConnect', () => tls.end(`${Buffer.byteLength(msg)} ${msg}`));
    for (const l of ['udp', 'tcp', 'tls'] as const) {
      await waitFor(`${l} message`, () => rs.lines(l).length === 1);
      expect(rs.read(l).equals(Buffer.from(msg + '\n'))).toBe(true);
    }
  });

  it('rsyslog recipe - a restart keeps the ports and the files written so far', async () => {
    const before = rs.lines('tcp').length;
    await rs.stop();
    await rs.restart();
    const tcp = tcpConnect(rs.ports.tcp as number, '127.0.0.1');
    tcp.end('<13>after restart\n');
    await waitFor('message after restart', () => rs.lines('tcp').length === before + 1);
    expect(rs.lines('tcp').at(-1)).toBe('<13>after restart');
  });
});
