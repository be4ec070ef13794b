// One bridge connection to a broker: fixed client id and a persistent session (so the broker keeps what
// the bridge has not acknowledged), and reconnects driven here with exponential backoff and jitter
// instead of mqtt.js's fixed period.
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from '@sentinel/ingest';
import { backoffDelay } from './backoff.ts';
import type { BackoffPolicy } from './backoff.ts';
import type { BrokerConfig } from './config.ts';
import type { BridgeMetrics } from './metrics.ts';

export type Side = 'core' | 'origin';
/** `sub` receives from this broker (the source of a direction), `pub` delivers to it. */
export type Role = 'sub' | 'pub';

/** A week: how long a broker keeps the bridge's MQTT 5 session while it is away. */
const SESSION_EXPIRY_S = 7 * 24 * 3600;

export function clientOptions(b: BrokerConfig, role: Role, window: number): IClientOptions {
  const tls = /^(mqtts|wss):/.test(b.url);
  return {
    clientId: `${b.clientId}-${role}`,
    clean: false,
    protocolVersion: b.protocolVersion,
    keepalive: b.keepaliveS,
    reconnectPeriod: 0, // reconnects are scheduled by BridgeConnection with backoff and jitter
    resubscribe: false, // subscriptions are renewed on every connect by the pipe
    connectTimeout: 10_000,
    ...(b.username !== undefined ? { username: b.username } : {}),
    ...(b.password !== undefined ? { password: b.password } : {}),
    ...(tls
      ? {
          rejectUnauthorized: true,
          ...(b.caFile ? { ca: readFileSync(b.caFile) } : {}),
          ...(b.servername ? { servername: b.servername } : {}),
        }
      : {}),
    ...(b.protocolVersion === 5
      ? // [MQTT-3.1.2-23] without a Session Expiry Interval a v5 session ends with the connection.
        // Receive Maximum bounds how many unacknowledged messages the broker pushes to us [MQTT-3.3.4-9].
        { properties: { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum: window } }
      : {}),
  };
}

export interface ConnectionOptions {
  side: Side;
  role: Role;
  broker: BrokerConfig;
  window: number;
  backoff: BackoffPolicy;
  metrics: BridgeMetrics;
  log: Logger;
  random: () => number;
  onConnect?: (client: MqttClient, sessionPresent: boolean) => void;
}

export class BridgeConnection {
  readonly client: MqttClient;
  /** Increments on every CONNACK: work begun on an older connection must not acknowledge on a newer one. */
  generation = 0;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly o: ConnectionOptions) {
    this.client = mqtt.connect(o.broker.url, clientOptions(o.broker, o.role, o.window));
    const labels = { side: o.side, role: o.role };
    this.client.on('connect', (connack) => {
      this.generation++;
      this.attempt = 0;
      o.metrics.connected.set(labels, 1);
      o.log.info('bridge connected', { ...labels, sessionPresent: connack.sessionPresent });
      o.onConnect?.(this.client, connack.sessionPresent);
    });
    this.client.on('close', () => {
      o.metrics.connected.set(labels, 0);
      this.scheduleReconnect();
    });
    this.client.on('error', (err) => {
      o.metrics.errors.inc({ side: o.side, kind: 'connection' });
      o.log.warn('bridge connection error', { ...labels, error: err.message });
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  private scheduleReconnect(): void {
    if (this.stopping || this.timer) return;
    this.attempt++;
    const delayMs = backoffDelay(this.attempt, this.o.backoff, this.o.random);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return;
      this.o.metrics.reconnects.inc({ side: this.o.side });
      // Keep the stores: QoS 1 messages not yet acknowledged by the broker are sent again after CONNACK.
      this.client.reconnect({
        incomingStore: this.client.incomingStore,
        outgoingStore: this.client.outgoingStore,
      });
    }, delayMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => this.client.end(true, () => resolve()), 2_000);
      this.client.end(false, () => {
        clearTimeout(force);
        resolve();
      });
    });
  }
}
