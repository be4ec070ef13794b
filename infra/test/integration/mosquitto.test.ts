// The Mosquitto recipe's listeners and access control, against the Debian broker.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMosquitto, tempDir } from '../../src/index.ts';
import type { MosquittoServer } from '../../src/index.ts';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0 ? { user: 'root' } : {};

describe('startMosquitto', () => {
  let tmp: ReturnType<typeof tempDir>;
  let broker: MosquittoServer;

  beforeAll(async () => {
    tmp = tempDir('sentinel-mosquitto-');
    const passwordFile = join(tmp.dir, 'passwd');
    writeFileSync(passwordFile, '');
    await run('mosquitto_passwd', ['-b', passwordFile, 'dev1', 's3cret-1']);
    const aclFile = join(tmp.dir, 'acl');
    writeFileSync(aclFile, 'user dev1\ntopic readwrite devices/dev1/#\n');
    broker = await startMosquitto({
      dir: join(tmp.dir, 'broker'),
      websocket: {},
      passwordFile,
      aclFile,
      ...asRoot,
    });
  });

  afterAll(async () => {
    await broker?.stop();
    tmp?.cleanup();
  });

  it('refuses anonymous clients once a password file is set', async () => {
    await expect(mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow(
      /Not authorized|Bad User Name or Password/i,
    );
  });

  it('serves MQTT over a plain WebSocket listener on loopback', async () => {
    expect(broker.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const c = await mqtt.connectAsync(`${broker.wsUrl}/mqtt`, {
      username: 'dev1',
      password: 's3cret-1',
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    await c.subscribeAsync('devices/dev1/#', { qos: 1 });
    const got = new Promise<string>((resolve) => c.once('message', (t) => resolve(t)));
    await c.publishAsync('devices/dev1/up', 'x', { qos: 1 });
    expect(await got).toBe('devices/dev1/up');
    await c.endAsync();
  });

  it('applies the ACL file: a publish outside the allowed topics is refused', async () => {
    const c = await mqtt.connectAsync(broker.url, {
      username: 'dev1',
      password: 's3cret-1',
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    await expect(c.publishAsync('devices/dev2/up', 'x', { qos: 1 })).rejects.toMatchObject({ code: 0x87 });
    await c.endAsync();
  });

  it('writes persistence, listener and access lines only when asked', async () => {
    const { mosquittoConfig } = await import('../../src/index.ts');
    const plain = mosquittoConfig({ port: 1 });
    expect(plain).toContain('allow_anonymous true');
    expect(plain).toContain('persistence false');
    expect(plain).not.toContain('protocol websockets');
    const full = mosquittoConfig({
      port: 1,
      websocket: { port: 2, tls: { certFile: 'c.pem', keyFile: 'k.pem' } },
      persistenceDir: 'd',
      passwordFile: 'p',
      aclFile: 'a',
    });
    expect(full).toContain('listener 2 lo\nprotocol websockets\ncertfile c.pem\nkeyfile k.pem');
    expect(full).toContain('persistence_location d/');
    expect(full).toContain('allow_anonymous false\n');
  });
});
