// Embedded mode: an aedes broker in the node's process, behind the same sessions and pipeline.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enforcementConfigSchema } from '../../src/config.ts';
import {
  connackOf,
  connectClient,
  endClient,
  eventsOf,
  startTestNode,
  subackCodes,
  until,
} from '../support/kit.ts';
import type { TestNode } from '../support/kit.ts';

describe('embedded mode (aedes in process)', () => {
  let tn: TestNode;
  let url: string;

  beforeAll(async () => {
    tn = await startTestNode({
      mode: 'embedded',
      acl: {
        clients: {
          'sensor-1': {
            publish: { allow: ['clients/panel-1/alerts', 'devices/sensor-1/#'] },
            subscribe: { allow: ['clients/sensor-1/alerts'] },
          },
        },
      },
      rateLimits: { publish: { rate: 1, burst: 5 } },
    });
    url = `mqtt://127.0.0.1:${tn.ports.tcp}`;
  });

  afterAll(async () => {
    await tn?.stop();
  });

  it('embedded - devices talk through the in-process broker with the ACLs applied both ways', async () => {
    const panel = await connectClient(url, { clientId: 'panel-1' });
    expect(
      await subackCodes(panel, { 'clients/panel-1/alerts': { qos: 1 }, 'clients/+/alerts': { qos: 0 } }),
    ).toEqual([1, 128]);
    const got: string[] = [];
    panel.on('message', (topic, m) => got.push(`${topic}=${m.toString()}`));
    const sensor = await connectClient(url, { clientId: 'sensor-1' });
    await sensor.publishAsync('clients/panel-1/alerts', 'smoke', { qos: 1 });
    await sensor.publishAsync('clients/panel-2/alerts', 'nope', { qos: 1 });
    await until('alert through aedes', () => got.includes('clients/panel-1/alerts=smoke'));
    expect(got).toEqual(['clients/panel-1/alerts=smoke']);
    expect(
      eventsOf(tn.events, 'acl.publish_denied').some((e) => e.mqtt?.topic === 'clients/panel-2/alerts'),
    ).toBe(true);
    await endClient(sensor);
    await endClient(panel);
  });

  it('embedded - a will outside the publish ACL is refused at CONNECT (0x05), and rate limits answer as in proxy mode', async () => {
    expect(
      await connackOf(url, {
        clientId: 'sensor-1',
        will: { topic: 'admin/shutdown', payload: Buffer.from('x'), qos: 0, retain: false },
      }),
    ).toBe(0x05);
    const sensor = await connectClient(url, { clientId: 'sensor-2' });
    const acked: number[] = [];
    for (let i = 0; i < 8; i++)
      sensor.publish('devices/sensor-2/t', String(i), { qos: 1 }, (err) => !err && acked.push(i));
    await new Promise((r) => setTimeout(r, 500));
    expect(acked.length).toBeGreaterThanOrEqual(5);
    expect(acked.length).toBeLessThan(8);
    expect(sensor.connected).toBe(true);
    sensor.end(true);
  });

  it('embedded - MQTT 5 devices are translated to the in-process 3.1.1 broker: QoS 2 end to end, the 5.0 rejections kept', async () => {
    const panel = await connectClient(url, { clientId: 'panel-1', protocolVersion: 5 });
    const got: string[] = [];
    panel.on('message', (topic, m, p) => got.push(`${topic}=${m.toString()}@${p.qos}`));
    expect(
      await subackCodes(panel, { 'clients/panel-1/alerts': { qos: 2 }, 'clients/other/alerts': { qos: 0 } }),
    ).toEqual([2, 0x87]);
    const sensor = await connectClient(url, { clientId: 'sensor-1', protocolVersion: 5 });
    await sensor.publishAsync('clients/panel-1/alerts', 'fire', { qos: 2 });
    await until('QoS 2 through aedes', () => got.includes('clients/panel-1/alerts=fire@2'));
    const denied = await sensor.publishAsync('clients/panel-2/alerts', 'nope', { qos: 1 }).then(
      () => 0,
      (err: { code?: number }) => err.code,
    );
    expect(denied).toBe(0x87);
    await endClient(sensor);
    await endClient(panel);
    const v5 = eventsOf(tn.events, 'connect.accepted').filter((e) => e.subject.protocolVersion === 5);
    expect(v5.map((e) => e.rule?.values?.upstreamProtocol)).toEqual([4, 4]);
  });

  it('embedded mode with several workers is refused by the config schema, naming the key', () => {
    const r = enforcementConfigSchema.safeParse({ mode: 'embedded', workers: 2 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['workers']);
  });
});
