// One process of the simulated fleet. The parent sends the devices this process plays; each connects
// through the enforcement node from its own loopback address, subscribes with QoS 1 to
// clients/<client id>/alerts, and checks every alert it gets: the topic must be its own and the payload
// addressed to it, otherwise it is counted as misrouted. Like real devices, a refused or dropped device
// tries again after a pause. Spread over several processes because one process may hold at most 20,000
// open files.
import type { MqttClient } from 'mqtt';
import { createDevice } from '@sentinel/infra';
import type { FleetCommand, FleetReport, FleetStart } from './protocol.ts';
import { alertTopic, parseAlert } from './protocol.ts';

interface Device {
  clientId: string;
  topic: string;
  client: MqttClient;
  subscribed: boolean;
  lastSeq: number;
}

const devices: Device[] = [];
let refusals = 0;
let received = 0;
let misrouted = 0;
let duplicates = 0;
let latencies: number[] = [];
let lastError = '';

function send(msg: FleetReport): void {
  process.send?.(msg);
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

function onMessage(d: Device, topic: string, payload: Buffer): void {
  const alert = parseAlert(payload);
  if (topic !== d.topic || !alert || alert.to !== d.clientId) {
    misrouted += 1;
    return;
  }
  if (alert.seq <= d.lastSeq) {
    duplicates += 1;
    return;
  }
  d.lastSeq = alert.seq;
  received += 1;
  latencies.push(now() - alert.t);
}

/** Start one device; `subscribed` is called once, when its first SUBACK grants the subscription. */
function startDevice(s: FleetStart, i: number, subscribed: () => void): void {
  const cred = s.devices[i];
  if (!cred) return;
  const d: Device = {
    clientId: cred.clientId,
    topic: alertTopic(cred.clientId),
    client: createDevice({
      port: s.port,
      from: s.sources[i],
      clientId: cred.clientId,
      username: cred.username,
      password: cred.secret,
      clean: true,
      keepalive: 60,
      // Retry after a refusal or a drop, spread out so that a fleet does not come back in lockstep.
      reconnectPeriod: 1000 + Math.floor(Math.random() * 2000),
      reconnectOnConnackError: true,
      connectTimeout: 30_000,
    }),
    subscribed: false,
    lastSeq: -1,
  };
  devices.push(d);
  d.client.on('connect', () => {
    d.client.subscribe(d.topic, { qos: 1 }, (err, granted) => {
      const ok = !err && granted?.[0] !== undefined && granted[0].qos !== 128;
      if (!ok) {
        lastError = err ? `${cred.clientId}: ${err.message}` : `${cred.clientId}: SUBACK refused ${d.topic}`;
        return;
      }
      if (!d.subscribed) {
        d.subscribed = true;
        subscribed();
      }
    });
  });
  d.client.on('error', (err) => {
    refusals += 1;
    lastError = `${cred.clientId}: ${err.message}`;
  });
  d.client.on('message', (topic, payload) => onMessage(d, topic, payload));
}

function counts(): Omit<Extract<FleetReport, { type: 'progress' }>, 'type'> {
  let connected = 0;
  let subscribed = 0;
  for (const d of devices) {
    if (d.client.connected) connected++;
    if (d.subscribed) subscribed++;
  }
  return { connected, subscribed, failed: devices.length - subscribed, refusals, lastError };
}

/** Start devices with at most `concurrency` not yet subscribed; ready when all are, or at the deadline. */
function rampUp(s: FleetStart): void {
  let next = 0;
  let pending = 0;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    send({
      type: 'ready',
      ...counts(),
      subscribedIds: devices.filter((d) => d.subscribed).map((d) => d.clientId),
    });
  };
  const pump = (): void => {
    while (pending < s.concurrency && next < s.devices.length) {
      pending += 1;
      startDevice(s, next++, () => {
        pending -= 1;
        pump();
      });
    }
    if (pending === 0 && next >= s.devices.length) finish();
  };
  setTimeout(finish, s.rampTimeoutMs).unref();
  pump();
}

process.on('message', (cmd: FleetCommand) => {
  switch (cmd.type) {
    case 'start': {
      rampUp(cmd);
      setInterval(() => send({ type: 'progress', ...counts() }), 1000).unref();
      break;
    }
    case 'report':
      send({ type: 'report', ...counts(), received, misrouted, duplicates, latencies });
      latencies = [];
      break;
    case 'stop':
      void Promise.all(devices.map((d) => d.client.endAsync(true).catch(() => undefined))).then(() =>
        process.exit(0),
      );
      break;
  }
});
