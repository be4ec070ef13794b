// Messages between the demo and its fleet processes, and the alert payload format.

export interface DeviceCredential {
  clientId: string;
  username: string;
  secret: string;
}

export interface FleetStart {
  type: 'start';
  /** Enforcement node TCP port on 127.0.0.1. */
  port: number;
  devices: DeviceCredential[];
  /** Source address per device (same index). */
  sources: string[];
  /** Devices connecting (not yet subscribed) at once. */
  concurrency: number;
  /** Ramp-up ends then even if some devices are still being refused. */
  rampTimeoutMs: number;
}

export type FleetCommand = FleetStart | { type: 'report' } | { type: 'stop' };

export interface FleetCounts {
  connected: number;
  subscribed: number;
  /** Devices not subscribed (yet). */
  failed: number;
  /** Refusals and errors seen, retries included. */
  refusals: number;
  lastError: string;
}

export type FleetReport =
  | ({ type: 'progress' } & FleetCounts)
  | ({ type: 'ready'; subscribedIds: string[] } & FleetCounts)
  | ({
      type: 'report';
      /** Totals since the start. */
      received: number;
      misrouted: number;
      duplicates: number;
      /** Delivery latencies since the last report, ms. */
      latencies: number[];
    } & FleetCounts);

export function alertTopic(clientId: string): string {
  return `clients/${clientId}/alerts`;
}

export interface Alert {
  /** The client id the alert is for. */
  to: string;
  /** Sequence number per device, from 0. */
  seq: number;
  /** Send time, ms since the epoch with sub-millisecond precision. */
  t: number;
  text: string;
}

export function parseAlert(payload: Buffer): Alert | undefined {
  try {
    const a = JSON.parse(payload.toString('utf8')) as Partial<Alert>;
    return typeof a.to === 'string' && typeof a.seq === 'number' && typeof a.t === 'number'
      ? (a as Alert)
      : undefined;
  } catch {
    return undefined;
  }
}
