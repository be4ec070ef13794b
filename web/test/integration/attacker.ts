// A real MQTT client (mqtt.js) connecting to the enforcement node from a chosen loopback address, so the
// attacker has an IP of its own (127.0.0.0/8 is all local) and a ban on it touches nobody else.
import { connectDevice as connectDeviceFrom, createDevice } from '@sentinel/infra';
import type { IClientOptions, MqttClient } from 'mqtt';

export interface ConnectResult {
  /** CONNACK return code (3.1.1) or reason code (5.0); 0 = accepted */
  code: number;
}

/** One CONNECT from `from` to the node; resolves with the CONNACK code (or -1 if the socket just closed). */
export function connectOnce(port: number, from: string, opts: IClientOptions): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const client = createDevice({
      port,
      from,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      keepalive: 30,
      clean: true,
      resubscribe: false,
      ...opts,
    });
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      client.end(true);
      resolve({ code });
    };
    client.on('connect', (p) => finish(p.reasonCode ?? p.returnCode ?? 0));
    client.on('error', (e: Error & { code?: number | string }) =>
      finish(typeof e.code === 'number' ? e.code : -1),
    );
    client.on('close', () => finish(-1));
  });
}

/** A connected device (the CONNECT must be accepted), for publishing. */
export function connectDevice(port: number, from: string, opts: IClientOptions): Promise<MqttClient> {
  return connectDeviceFrom({
    port,
    from,
    protocolVersion: 5,
    connectTimeout: 5000,
    keepalive: 30,
    clean: true,
    ...opts,
  });
}

/** `attempts` CONNECTs with made-up credentials, one after the other, as a password-guessing bot does. */
export async function bruteForce(port: number, from: string, attempts: number): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < attempts; i++) {
    const r = await connectOnce(port, from, {
      clientId: `bot-${i}`,
      username: 'admin',
      password: `guess-${i}`,
    });
    codes.push(r.code);
  }
  return codes;
}
