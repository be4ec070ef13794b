// One syslog message → at most one decision event. A MSG that is a JSON object is read as a
// DecisionEventV1 and validated like HTTP intake; any other MSG goes to the Mosquitto mapper. Every
// event's node names the sending host behind a `syslog:` prefix, which no Sentinel node name can carry
// (node names are letters, digits, dot, dash, underscore), so a syslog sender cannot pose as a node.
import { formatProblems, validateDecisionEvent } from '../../contract/validate.ts';
import type { DecisionEventV1 } from '../../contract/v1.ts';
import { parseSyslog } from './message.ts';
import { MosquittoMapper } from './mosquitto.ts';

export type SyslogOutcome =
  | { outcome: 'accepted'; event: DecisionEventV1; mapper: 'json' | 'mosquitto' }
  | { outcome: 'invalid'; problem: string }
  | { outcome: 'unmapped' | 'ignored' };

export const NODE_PREFIX = 'syslog:';
// Hostnames come from the sender: bound how many brokers keep state (allowFrom bounds who may send).
const MAX_HOSTS = 64;
const MAX_NODE = 255;
const MAX_SKEW_MS = 24 * 3600_000;

/** The node name for a sending host: prefixed, and only characters a host name or address uses. */
export function syslogNode(host: string): string {
  const clean = host.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 200);
  return NODE_PREFIX + (clean === '' ? 'unknown' : clean);
}

export class SyslogMapper {
  /** Mosquitto state per sending host, bounded: the oldest host is forgotten first. */
  private readonly brokers = new Map<string, MosquittoMapper>();

  constructor(private readonly now: () => number = Date.now) {}

  map(frame: Buffer | string, senderIp: string): SyslogOutcome {
    const msg = parseSyslog(typeof frame === 'string' ? frame : frame.toString('utf8'));
    const host = msg.hostname ?? senderIp;
    const node = syslogNode(host);
    const text = msg.msg.trim();
    if (text.startsWith('{')) return this.json(text, node);
    const mapped = this.broker(host).map(text, { node, ts: this.eventTime(msg.ts) });
    if (mapped === undefined || mapped === 'ignored') return { outcome: mapped ?? 'unmapped' };
    // A long client id or topic from a line can exceed the contract's bounds: check like any input.
    const v = validateDecisionEvent(mapped);
    return v.ok
      ? { outcome: 'accepted', event: v.value, mapper: 'mosquitto' }
      : { outcome: 'invalid', problem: formatProblems(v.problems) };
  }

  /**
   * The header's time when it has one near ours: a queued sender (rsyslog's disk queue after an outage)
   * delivers lines hours late and their real time is in the header; a time further off than MAX_SKEW_MS
   * is a wrong clock or a forged header, and would land events outside every analytics window.
   */
  private eventTime(headerTs: number | undefined): number {
    const now = this.now();
    return headerTs !== undefined && Math.abs(headerTs - now) <= MAX_SKEW_MS ? headerTs : now;
  }

  private json(text: string, node: string): SyslogOutcome {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { outcome: 'invalid', problem: `MSG is not JSON: ${(err as Error).message}` };
    }
    const v = validateDecisionEvent(parsed);
    if (!v.ok) return { outcome: 'invalid', problem: formatProblems(v.problems) };
    const event = { ...v.value, node: `${node}/${v.value.node}`.slice(0, MAX_NODE) };
    return { outcome: 'accepted', event, mapper: 'json' };
  }

  private broker(host: string): MosquittoMapper {
    let m = this.brokers.get(host);
    if (!m) {
      m = new MosquittoMapper();
      this.brokers.set(host, m);
      if (this.brokers.size > MAX_HOSTS) this.brokers.delete(this.brokers.keys().next().value as string);
    }
    return m;
  }
}
