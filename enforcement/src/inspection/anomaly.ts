// Statistical anomalies: payload size, Shannon entropy, connection rate per source and per-client
// baselines (exponentially weighted moving averages of size and rate). All per-key state is bounded.
import { isAscii } from 'node:buffer';
import { REASONS } from '@sentinel/ingest';
import { BoundedMap, WindowCounter } from './bounded.ts';
import type { InspectionConfig } from './config.ts';
import type { Finding } from './types.ts';
import { finding } from './types.ts';

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

const histogram = new Uint32Array(256);

/** Shannon entropy of `buf` in bits per byte (0 for empty). */
export function shannonEntropy(buf: Uint8Array): number {
  const n = buf.length;
  if (n === 0) return 0;
  histogram.fill(0);
  for (let i = 0; i < n; i++) histogram[buf[i]!]!++;
  let h = 0;
  for (let b = 0; b < 256; b++) {
    const c = histogram[b]!;
    if (c !== 0) {
      const p = c / n;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/** Payload size over the limit: quarantine and flag. */
export function checkPayloadSize(size: number, cfg: InspectionConfig): Finding | undefined {
  if (size <= cfg.maxPayloadBytes) return undefined;
  return finding(
    'anomaly.payload_size',
    'quarantine',
    'quarantine',
    REASONS['anomaly.payload_size'].severity,
    {
      id: 'anomaly.payload_size',
      name: 'Payload larger than the limit',
      technique: 'T1499',
      values: { size, limit: cfg.maxPayloadBytes },
    },
    `payload of ${size} bytes is over the ${cfg.maxPayloadBytes}-byte limit: quarantined`,
  );
}

/** High entropy on a payload long enough to judge: flag for review (encrypted or packed data). */
export function checkEntropy(payload: Uint8Array, cfg: InspectionConfig): Finding | undefined {
  // Over n bytes entropy cannot exceed log2(n): shorter payloads could never honestly reach the threshold.
  if (payload.length < cfg.entropyMinBytes) return undefined;
  // ASCII has at most 128 distinct bytes, so at most 7 bits/byte: a SIMD-speed check spares the histogram.
  if (cfg.entropyThreshold >= 7 && isAscii(payload)) return undefined;
  const h = shannonEntropy(payload);
  if (h <= cfg.entropyThreshold) return undefined;
  return finding(
    'anomaly.entropy',
    'flag',
    'flag',
    REASONS['anomaly.entropy'].severity,
    {
      id: 'anomaly.entropy',
      name: 'High-entropy payload',
      technique: 'T1027',
      values: { entropy: round(h), threshold: cfg.entropyThreshold, size: payload.length },
    },
    `payload entropy ${round(h, 2)} bits/byte is above ${cfg.entropyThreshold}`,
  );
}

interface IpConnects {
  second: WindowCounter;
  /** Seconds (ms of their start) in which the rate was exceeded, within the flood window. */
  overSeconds: number[];
  /** `reason@second` last reported: repeats within the same second are quiet (still refused). */
  lastReport: string;
}

/** CONNECTs per source IP: over the rate → refuse and flag; over it for several seconds → CONNECT flood. */
export class ConnectRateTracker {
  private readonly ips: BoundedMap<string, IpConnects>;

  constructor(private readonly cfg: InspectionConfig) {
    this.ips = new BoundedMap(cfg.maxTrackedIps);
  }

  get size(): number {
    return this.ips.size;
  }

  connect(ip: string, now: number): Finding | undefined {
    const s = this.ips.upsert(ip, () => ({
      second: new WindowCounter(1000, 10),
      overSeconds: [],
      lastReport: '',
    }));
    const rate = s.second.add(now);
    if (rate <= this.cfg.connectRatePerS) return undefined;
    const sec = Math.floor(now / 1000) * 1000;
    const windowStart = now - this.cfg.connectFloodWindowS * 1000;
    while (s.overSeconds.length > 0 && s.overSeconds[0]! < windowStart) s.overSeconds.shift();
    if (s.overSeconds[s.overSeconds.length - 1] !== sec) s.overSeconds.push(sec);
    const values = {
      ip,
      rate,
      limit: this.cfg.connectRatePerS,
      secondsOver: s.overSeconds.length,
      windowS: this.cfg.connectFloodWindowS,
    };
    const f =
      s.overSeconds.length >= this.cfg.connectFloodSeconds
        ? finding(
            'threat.connect_flood',
            'deny',
            'block',
            REASONS['threat.connect_flood'].severity,
            { id: 'threat.connect_flood', name: 'CONNECT flood from one source', technique: 'T0814', values },
            `CONNECT flood from ${ip}: over ${this.cfg.connectRatePerS}/s in ${s.overSeconds.length} of the last ${this.cfg.connectFloodWindowS} s`,
          )
        : finding(
            'anomaly.connect_rate',
            'flag',
            'block',
            REASONS['anomaly.connect_rate'].severity,
            {
              id: 'anomaly.connect_rate',
              name: 'Connection rate from one source',
              technique: 'T1499',
              values,
            },
            `${rate} CONNECTs in the last second from ${ip} (limit ${this.cfg.connectRatePerS}/s): rate-limited`,
          );
    const key = `${f.reason}@${sec}`;
    if (s.lastReport === key) f.quiet = true;
    s.lastReport = key;
    return f;
  }
}

interface ClientBaseline {
  sizeMean: number;
  sizeSamples: number;
  rateMean: number;
  rateSamples: number;
  /** Start (ms) of the second being counted and its count so far. */
  second: number;
  count: number;
  /** Whether the current second was already flagged (one event per second, not per message). */
  rateFlagged: boolean;
}

/** Per-client moving averages of payload size and publish rate; large deviations after warm-up are flagged. */
export class BaselineTracker {
  private readonly clients: BoundedMap<string, ClientBaseline>;

  constructor(private readonly cfg: InspectionConfig) {
    this.clients = new BoundedMap(cfg.maxTrackedClients);
  }

  get size(): number {
    return this.clients.size;
  }

  /** Record one PUBLISH and return findings for a size or rate far above this client's baseline. */
  publish(clientId: string, size: number, now: number, out: Finding[]): void {
    const b = this.clients.upsert(clientId, () => ({
      sizeMean: size,
      sizeSamples: 0,
      rateMean: 0,
      rateSamples: 0,
      second: Math.floor(now / 1000) * 1000,
      count: 0,
      rateFlagged: false,
    }));
    this.rate(clientId, b, now, out);
    this.size_(clientId, b, size, out);
  }

  private size_(clientId: string, b: ClientBaseline, size: number, out: Finding[]): void {
    const c = this.cfg;
    if (
      b.sizeSamples >= c.baselineWarmup &&
      size > c.baselineMinSizeBytes &&
      size > b.sizeMean * c.baselineSizeFactor
    ) {
      out.push(
        finding(
          'anomaly.baseline_size',
          'flag',
          'flag',
          REASONS['anomaly.baseline_size'].severity,
          {
            id: 'anomaly.baseline_size',
            name: 'Payload size far above the client baseline',
            values: { size, baseline: round(b.sizeMean, 1), factor: c.baselineSizeFactor },
          },
          `client ${clientId} sent ${size} bytes, ${round(size / b.sizeMean, 1)}x its average of ${round(b.sizeMean, 1)}`,
        ),
      );
      return; // an outlier does not move the baseline: a slow ramp-up by an attacker then still shows
    }
    b.sizeMean += c.baselineAlpha * (size - b.sizeMean);
    b.sizeSamples++;
  }

  private rate(clientId: string, b: ClientBaseline, now: number, out: Finding[]): void {
    const c = this.cfg;
    const sec = Math.floor(now / 1000) * 1000;
    if (sec > b.second) {
      // Close the finished second and any idle seconds since (they count as zero).
      const idle = Math.min(60, (sec - b.second) / 1000 - 1);
      if (!b.rateFlagged) {
        b.rateMean += c.baselineAlpha * (b.count - b.rateMean);
        b.rateSamples++;
      }
      for (let k = 0; k < idle; k++) {
        b.rateMean += c.baselineAlpha * (0 - b.rateMean);
        b.rateSamples++;
      }
      b.second = sec;
      b.count = 0;
      b.rateFlagged = false;
    }
    b.count++;
    if (b.rateFlagged || b.rateSamples < c.baselineWarmup || b.count <= c.baselineMinRatePerS) return;
    if (b.count > Math.max(b.rateMean, 1) * c.baselineRateFactor) {
      b.rateFlagged = true;
      out.push(
        finding(
          'anomaly.baseline_rate',
          'flag',
          'flag',
          REASONS['anomaly.baseline_rate'].severity,
          {
            id: 'anomaly.baseline_rate',
            name: 'Publish rate far above the client baseline',
            values: { rate: b.count, baseline: round(b.rateMean, 2), factor: c.baselineRateFactor },
          },
          `client ${clientId} published ${b.count} messages this second, its average is ${round(b.rateMean, 2)}/s`,
        ),
      );
    }
  }
}
