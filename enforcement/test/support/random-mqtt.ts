// Random MQTT 5.0 packets as a device may send them (valid by construction, with every property a 5.0
// device can carry), for the translation tests: deterministic, so a failure replays from its seed.
import mqttPacket from 'mqtt-packet';
import { encodeConnect } from '../../src/protocol/encode.ts';
import type { ConnectPacket } from '../../src/protocol/packets.ts';

const gen = (p: Record<string, unknown>): Buffer =>
  mqttPacket.generate(p as unknown as mqttPacket.Packet, { protocolVersion: 5 });

/** A small deterministic PRNG (xorshift32) for the fuzz and random tests, so a failure replays from its seed. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export function randomText(r: () => number, max: number): string {
  const n = Math.floor(r() * max);
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = r() < 0.9 ? 0x61 + Math.floor(r() * 26) : 0xa0 + Math.floor(r() * 0x2000);
    s += String.fromCharCode(c);
  }
  return s;
}

export function randomTopic(r: () => number): string {
  const levels = 1 + Math.floor(r() * 4);
  return Array.from({ length: levels }, () => randomText(r, 6)).join('/') || 'x';
}

function randomFilter(r: () => number): string {
  const t = randomTopic(r).split('/');
  if (r() < 0.3) t[0] = '+';
  if (r() < 0.3) t.push('#');
  return t.join('/');
}

function randomProps(r: () => number, place: 'publish' | 'will' | 'connect'): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  if (r() < 0.5) p.userProperties = { [randomText(r, 5) || 'k']: randomText(r, 8) };
  if (place !== 'connect') {
    if (r() < 0.3) p.messageExpiryInterval = Math.floor(r() * 1e6);
    if (r() < 0.3) p.contentType = randomText(r, 10);
    if (r() < 0.3) p.responseTopic = randomTopic(r);
    if (r() < 0.3) p.correlationData = Buffer.from(randomText(r, 8));
    if (r() < 0.3) p.payloadFormatIndicator = r() < 0.5;
  }
  if (place === 'publish' && r() < 0.3) p.topicAlias = 1 + Math.floor(r() * 16);
  if (place === 'will' && r() < 0.3) p.willDelayInterval = Math.floor(r() * 100);
  if (place === 'connect') {
    if (r() < 0.5) p.sessionExpiryInterval = Math.floor(r() * 1000);
    if (r() < 0.3) p.receiveMaximum = 1 + Math.floor(r() * 100);
    if (r() < 0.3) p.maximumPacketSize = 100 + Math.floor(r() * 10000);
    if (r() < 0.3) p.topicAliasMaximum = Math.floor(r() * 20);
    if (r() < 0.2) p.requestProblemInformation = r() < 0.5;
  }
  return p;
}

/** A random 5.0 packet a device may send, as mqtt-packet bytes. */
export function randomDevicePacket(r: () => number): Buffer {
  const id = 1 + Math.floor(r() * 65_535);
  const qos = Math.floor(r() * 3);
  switch (Math.floor(r() * 6)) {
    case 0: {
      const c: Record<string, unknown> = {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 5,
        clean: r() < 0.5,
        keepalive: Math.floor(r() * 65_535),
        clientId: randomText(r, 20),
        properties: randomProps(r, 'connect'),
      };
      if (r() < 0.5) c.username = randomText(r, 10);
      if (r() < 0.5) c.password = Buffer.from(randomText(r, 10));
      if (r() < 0.5)
        c.will = {
          topic: randomTopic(r),
          payload: Buffer.from(randomText(r, 30)),
          qos,
          retain: r() < 0.5,
          properties: randomProps(r, 'will'),
        };
      // The node's own encoder: mqtt-packet refuses a password without a user name, which 5.0 allows.
      return encodeConnect(5, c as unknown as ConnectPacket);
    }
    case 1:
    case 2: {
      const p: Record<string, unknown> = {
        cmd: 'publish',
        topic: randomTopic(r),
        payload: Buffer.from(randomText(r, 200)),
        qos,
        retain: r() < 0.5,
        dup: qos > 0 && r() < 0.3,
        properties: randomProps(r, 'publish'),
      };
      if (qos > 0) p.messageId = id;
      return gen(p);
    }
    case 3: {
      const subs = Array.from({ length: 1 + Math.floor(r() * 4) }, () => ({
        topic: randomFilter(r),
        qos: Math.floor(r() * 3),
        nl: r() < 0.5,
        rap: r() < 0.5,
        rh: Math.floor(r() * 3),
      }));
      const props = r() < 0.3 ? { userProperties: { a: randomText(r, 4) } } : undefined;
      return gen({ cmd: 'subscribe', messageId: id, subscriptions: subs, properties: props });
    }
    case 4: {
      const filters = Array.from({ length: 1 + Math.floor(r() * 4) }, () => randomFilter(r));
      return gen({ cmd: 'unsubscribe', messageId: id, unsubscriptions: filters });
    }
    default: {
      const cmd = (['puback', 'pubrec', 'pubrel', 'pubcomp'] as const)[Math.floor(r() * 4)];
      return gen({ cmd, messageId: id, reasonCode: r() < 0.5 ? 0 : 0x80 + Math.floor(r() * 20) });
    }
  }
}
