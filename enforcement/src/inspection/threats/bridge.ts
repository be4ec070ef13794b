// Bridge loops: a bridge stamps its deployment's hop marker on every message it forwards; a message that
// already carries our marker has been round the loop and is dropped. MQTT 5 carries the markers in a
// user property (repeated, or comma-separated); 3.1.1 in a field of a JSON envelope.
import { REASONS } from '@sentinel/ingest';
import type { InspectionConfig } from '../config.ts';
import type { Finding, PublishFacts } from '../types.ts';
import { finding } from '../types.ts';

function hasMarker(value: string | string[] | undefined, hopId: string): boolean {
  if (value === undefined) return false;
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => v.split(',').some((x) => x.trim() === hopId));
}

export class BridgeLoopDetector {
  private readonly marker: Buffer;

  constructor(private readonly cfg: InspectionConfig) {
    this.marker = Buffer.from(JSON.stringify(cfg.hopId).slice(1, -1), 'utf8');
  }

  check(msg: PublishFacts): Finding | undefined {
    const hopId = this.cfg.hopId;
    if (hopId === '') return undefined;
    let where: string | undefined;
    if (hasMarker(msg.userProperties?.[this.cfg.hopProperty], hopId)) where = 'user_property';
    else if (this.inEnvelope(msg.payload)) where = 'envelope';
    if (where === undefined) return undefined;
    return finding(
      'threat.bridge_loop',
      'drop',
      'drop',
      REASONS['threat.bridge_loop'].severity,
      {
        id: 'threat.bridge_loop',
        name: 'Message carries our own hop marker',
        values: { hopId, carrier: where },
      },
      `message to ${msg.topic} already passed this deployment (${hopId}): bridge loop, dropped`,
    );
  }

  /** Cheap first: JSON is parsed only when the marker's bytes occur in a payload that starts with `{`. */
  private inEnvelope(payload: Uint8Array): boolean {
    if (payload.length < 2 || payload[0] !== 0x7b || (payload as Buffer).indexOf(this.marker) < 0)
      return false;
    try {
      const env = JSON.parse(
        Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8'),
      ) as Record<string, unknown>;
      const hops = env[this.cfg.hopProperty];
      return hasMarker(
        typeof hops === 'string' || Array.isArray(hops) ? (hops as string | string[]) : undefined,
        this.cfg.hopId,
      );
    } catch {
      return false;
    }
  }
}

/** For the bridge: user properties with `hopId` added to the hop marker property. */
export function stampHop(
  props: Record<string, string | string[]> | undefined,
  hopId: string,
  property = 'sentinel-hop',
): Record<string, string | string[]> {
  const out = { ...(props ?? {}) };
  const cur = out[property];
  out[property] = cur === undefined ? hopId : Array.isArray(cur) ? [...cur, hopId] : [cur, hopId];
  return out;
}
