// The simulated fleet: device processes (at most `perProcess` devices each, for the per-process file
// limit), each device on one of many loopback source addresses, and an alert publisher that fans alerts
// out to the devices' topics on the core broker at a steady rate.
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { loopbackAddress } from '@sentinel/infra';
import type { DeviceCredential, FleetCommand, FleetCounts, FleetReport } from './protocol.ts';
import { alertTopic } from './protocol.ts';

const WORKER = fileURLToPath(new URL('./fleet-worker.ts', import.meta.url));

export interface FleetOptions {
  port: number;
  devices: DeviceCredential[];
  perProcess: number;
  /** Devices per source address (stays well under the per-IP CONNECT burst). */
  perAddress: number;
  /** Second octet of the 127.x.0.0/16 block the devices connect from. */
  addressBlock: number;
  concurrency: number;
  rampTimeoutMs: number;
}

export interface FleetTotals extends FleetCounts {
  received: number;
  misrouted: number;
  duplicates: number;
  latencies: number[];
}

export class Fleet {
  private readonly workers: { child: ChildProcess; last: FleetReport | undefined }[] = [];

  constructor(private readonly o: FleetOptions) {}

  /**
   * Start every device process; resolves with the client ids that subscribed, once all have or the
   * ramp-up deadline passed.
   */
  async start(onProgress: (t: FleetCounts) => void): Promise<string[]> {
    const chunks: DeviceCredential[][] = [];
    for (let i = 0; i < this.o.devices.length; i += this.o.perProcess) {
      chunks.push(this.o.devices.slice(i, i + this.o.perProcess));
    }
    let offset = 0;
    const ready = chunks.map((devices) => {
      const sources = devices.map((_, i) =>
        loopbackAddress(this.o.addressBlock, Math.floor((offset + i) / this.o.perAddress)),
      );
      offset += devices.length;
      const child = fork(WORKER, [], {
        // tsx resolved from here, not from the working directory, which may be anywhere
        execArgv: ['--import', import.meta.resolve('tsx')],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const w = { child, last: undefined as FleetReport | undefined };
      this.workers.push(w);
      return new Promise<string[]>((resolve, reject) => {
        child.on('message', (m: FleetReport) => {
          w.last = m;
          onProgress(this.sum());
          if (m.type === 'ready') resolve(m.subscribedIds);
        });
        child.once('exit', (code) => reject(new Error(`a fleet process exited (${code}) during ramp-up`)));
        const cmd: FleetCommand = {
          type: 'start',
          port: this.o.port,
          devices,
          sources,
          concurrency: this.o.concurrency,
          rampTimeoutMs: this.o.rampTimeoutMs,
        };
        child.send(cmd);
      });
    });
    return (await Promise.all(ready)).flat();
  }

  private sum(): FleetCounts {
    const t: FleetCounts = { connected: 0, subscribed: 0, failed: 0, refusals: 0, lastError: '' };
    for (const w of this.workers) if (w.last) addCounts(t, w.last);
    return t;
  }

  /** Ask every process for its counters and the latencies since the last report. */
  async report(): Promise<FleetTotals> {
    const reports = await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<Extract<FleetReport, { type: 'report' }>>((resolve) => {
            const on = (m: FleetReport): void => {
              if (m.type !== 'report') return;
              w.child.off('message', on);
              resolve(m);
            };
            w.child.on('message', on);
            w.child.send({ type: 'report' } satisfies FleetCommand);
          }),
      ),
    );
    const t: FleetTotals = {
      connected: 0,
      subscribed: 0,
      failed: 0,
      refusals: 0,
      lastError: '',
      received: 0,
      misrouted: 0,
      duplicates: 0,
      latencies: [],
    };
    for (const r of reports) {
      addCounts(t, r);
      t.received += r.received;
      t.misrouted += r.misrouted;
      t.duplicates += r.duplicates;
      for (const l of r.latencies) t.latencies.push(l);
    }
    return t;
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null) return resolve();
            w.child.removeAllListeners('exit');
            w.child.once('exit', () => resolve());
            w.child.send({ type: 'stop' } satisfies FleetCommand);
            setTimeout(() => w.child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    );
  }
}

function addCounts(t: FleetCounts, c: FleetCounts): void {
  t.connected += c.connected;
  t.subscribed += c.subscribed;
  t.failed += c.failed;
  t.refusals += c.refusals;
  t.lastError ||= c.lastError;
}

/**
 * Where an alert is recorded before it is sent: the JetStream alert history (`clients.<id>.alerts`). With
 * nats-server as the core broker the MQTT publish itself lands in that stream and no recorder is needed.
 */
export type AlertRecorder = (clientId: string, payload: string) => Promise<unknown>;

/**
 * Publishes alerts with QoS 1 straight to the core broker, round-robin over the devices, at `rate`/s.
 * With a recorder, each alert is written to the history first and sent once the history acknowledged it.
 */
export class AlertPublisher {
  private client: MqttClient | undefined;
  /** Alerts the history refused: they are not sent, and the demo reports them. */
  historyFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly seq = new Map<string, number>();
  sent = 0;
  acked = 0;
  private next = 0;
  private started = 0;
  private stoppedAt = 0;

  constructor(
    private readonly coreUrl: string,
    private readonly devices: DeviceCredential[],
    private readonly rate: number,
    private readonly record?: AlertRecorder,
  ) {}

  async start(): Promise<void> {
    this.stoppedAt = 0;
    this.sent = 0;
    this.acked = 0;
    this.client = await mqtt.connectAsync(this.coreUrl, {
      clientId: `sentinel-alert-publisher-${process.pid}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
    });
    this.started = performance.now();
    // Publish in 10 ms ticks, catching up to where the rate says we should be.
    this.timer = setInterval(() => this.tick(), 10);
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.started) / 1000) * this.rate);
    const client = this.client;
    if (!client) return;
    while (this.sent < due) {
      const d = this.devices[this.next++ % this.devices.length] as DeviceCredential;
      const seq = this.seq.get(d.clientId) ?? 0;
      this.seq.set(d.clientId, seq + 1);
      const payload = JSON.stringify({
        to: d.clientId,
        seq,
        t: performance.timeOrigin + performance.now(),
        text: 'maintenance window at 02:00',
      });
      this.sent += 1;
      if (!this.record) {
        this.send(client, d.clientId, payload);
        continue;
      }
      this.record(d.clientId, payload).then(
        () => this.send(client, d.clientId, payload),
        () => {
          this.historyFailures += 1;
          this.acked += 1; // settled: nothing more will come of it
        },
      );
    }
  }

  private send(client: MqttClient, clientId: string, payload: string): void {
    client.publish(alertTopic(clientId), payload, { qos: 1 }, (err) => {
      if (!err) this.acked += 1;
    });
  }

  /** Stop publishing and wait (bounded) for the broker to acknowledge what was sent. */
  async stop(): Promise<void> {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stoppedAt = performance.now();
    const deadline = Date.now() + 10_000;
    while (this.acked < this.sent && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.client?.endAsync();
  }

  achievedRate(): number {
    return this.sent / (((this.stoppedAt || performance.now()) - this.started) / 1000);
  }
}
