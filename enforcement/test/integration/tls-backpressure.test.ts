// TLS refusals as events, and back-pressure: a device that stops reading pauses the broker side
// instead of being buffered for without bound.
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, tempDir } from '@sentinel/infra';
import type { NatsServer } from '@sentinel/infra';
import { ensureDevCertificate } from '../../src/transport/devcert.ts';
import type { DevCertificate } from '../../src/transport/devcert.ts';
import {
  connectClient,
  endClient,
  eventsOf,
  rawConnect,
  rawConnectPacket,
  startTestNode,
  until,
} from '../support/kit.ts';
import type { TestNode } from '../support/kit.ts';

describe('TLS refusals and back-pressure', () => {
  const t = tempDir('sentinel-tlsbp-');
  let nats: NatsServer;
  let ca: DevCertificate;
  let tn: TestNode;

  beforeAll(async () => {
    nats = await startNats({ dir: `${t.dir}/nats` });
    ca = await ensureDevCertificate(`${t.dir}/tls`);
    tn = await startTestNode(
      {
        upstream: { url: `mqtt://127.0.0.1:${nats.mqttPort}` },
        tls: { enabled: true, port: 0, clientCerts: 'required', minVersion: 'TLSv1.3' },
        acl: {
          default: { subscribe: { allow: ['clients/%c/alerts'] }, publish: { allow: ['devices/%c/#'] } },
        },
      },
      { tls: { cert: ca.cert, key: ca.key, ca: ca.caCert } },
    );
  });

  afterAll(async () => {
    await tn?.stop();
    await nats?.stop();
    t.cleanup();
  });

  const handshake = (opts: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' }) =>
    new Promise<string>((resolve) => {
      const s = tlsConnect({
        port: tn.ports.tls as number,
        host: '127.0.0.1',
        ca: readFileSync(ca.caCert),
        servername: 'localhost',
        ...opts,
      });
      s.once('secureConnect', () => {
        // TLS 1.3 sends the server's refusal of a missing client certificate after the handshake.
        s.once('close', () => resolve('closed'));
        s.write(rawConnectPacket('no-cert'));
      });
      s.once('error', (err) => resolve(err.message));
    });

  it('mTLS required - a client without a certificate is refused and reported as tls.client_cert_required', async () => {
    await handshake({});
    const ev = await until('event', () => eventsOf(tn.events, 'tls.client_cert_required')[0]);
    expect(ev.subject.ip).toBe('127.0.0.1');
  });

  it('TLS 1.3 only - a TLS 1.2 client fails the handshake and is reported as tls.handshake_failed', async () => {
    const outcome = await handshake({ maxVersion: 'TLSv1.2' });
    expect(outcome).not.toBe('closed');
    await until('event', () => eventsOf(tn.events, 'tls.handshake_failed')[0]);
  });

  it('back-pressure - a device that stops reading pauses its broker side: 40 MB sent, node memory stays bounded', async () => {
    const raw = await rawConnect(tn.ports.tcp as number);
    raw.socket.write(rawConnectPacket('slow-1', { keepalive: 0 }));
    await raw.waitBytes(4);
    // SUBSCRIBE clients/slow-1/alerts QoS 0
    const topic = Buffer.from('clients/slow-1/alerts');
    raw.socket.write(Buffer.from([0x82, 2 + 2 + topic.length + 1, 0, 1, 0, topic.length, ...topic, 0]));
    await raw.waitBytes(4 + 5);
    raw.socket.pause();
    const admin = await connectClient(`mqtt://127.0.0.1:${nats.mqttPort}`, { clientId: 'flood-admin' });
    const before = process.memoryUsage().arrayBuffers;
    const chunk = Buffer.alloc(100_000, 7);
    for (let i = 0; i < 400; i++) await admin.publishAsync('clients/slow-1/alerts', chunk, { qos: 0 });
    await new Promise((r) => setTimeout(r, 500));
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    await endClient(admin);
    raw.socket.destroy();
  });
});
