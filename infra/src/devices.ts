// Device simulators: real mqtt.js clients whose TCP connections leave from a chosen loopback address, so
// that per-IP limits, IP-affine workers and bans see many distinct devices on one machine.
import { connect as netConnect } from 'node:net';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

export interface DeviceOptions extends IClientOptions {
  /** Broker (enforcement node) TCP port on 127.0.0.1. */
  port: number;
  host?: string;
  /** Source address, e.g. 127.20.0.7 (any 127.0.0.0/8 address works on Linux loopback). */
  from?: string;
}

/** A client that is not connected yet; it connects on its own and emits mqtt.js events. */
export function createDevice(opts: DeviceOptions): MqttClient {
  const { port, host = '127.0.0.1', from, ...clientOpts } = opts;
  return new mqtt.MqttClient(() => netConnect({ port, host, ...(from ? { localAddress: from } : {}) }), {
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    protocolVersion: 4,
    ...clientOpts,
  });
}

/** Connect and resolve on CONNACK; reject with the refusal (mqtt.js puts the reason code in `code`). */
export function connectDevice(opts: DeviceOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = createDevice(opts);
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
    c.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** The CONNACK return/reason code a CONNECT gets: 0 on success (the client is closed again). */
export async function connackCode(opts: DeviceOptions): Promise<number> {
  try {
    const c = await connectDevice(opts);
    await c.endAsync();
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    throw err;
  }
}

/** The n-th address of a /16 inside 127.0.0.0/8, skipping .0: 127.<block>.x.y. */
export function loopbackAddress(block: number, n: number): string {
  const i = n + 1;
  return `127.${block}.${(i >> 8) & 255}.${i & 255 || 1}`;
}
