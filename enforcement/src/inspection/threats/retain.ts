// Retain abuse: retained PUBLISH where the ACL forbids retain. A retained message outlives its sender
// and is delivered to every future subscriber, so it is refused; a client that keeps trying is
// disconnected.
import { REASONS } from '@sentinel/ingest';
import type { Verdict } from '../../policy/types.ts';
import { BoundedMap, WindowCounter } from '../bounded.ts';
import type { InspectionConfig } from '../config.ts';
import { safeDisplayString } from '../display.ts';
import type { Finding } from '../types.ts';
import { finding } from '../types.ts';

export class RetainTracker {
  private readonly clients: BoundedMap<string, WindowCounter>;

  constructor(private readonly cfg: InspectionConfig) {
    this.clients = new BoundedMap(cfg.maxTrackedClients);
  }

  /** `acl` is the ACL's answer for this PUBLISH; only a retain denial counts. */
  publish(
    clientId: string,
    topic: string,
    retain: boolean,
    acl: Verdict | undefined,
    now: number,
    out: Finding[],
  ): void {
    if (!retain || acl === undefined || acl.ok || acl.reason !== 'acl.retain_denied') return;
    const attempts = this.clients.upsert(clientId, () => new WindowCounter(60_000, 6)).add(now);
    const disconnect = attempts >= this.cfg.retainAbuseDisconnectAfter;
    out.push(
      finding(
        'threat.retain_abuse',
        disconnect ? 'disconnect' : 'deny',
        disconnect ? 'disconnect' : 'block',
        REASONS['threat.retain_abuse'].severity,
        {
          id: 'threat.retain_abuse',
          name: 'Retained PUBLISH the ACL forbids',
          technique: 'T0855',
          matched: safeDisplayString(topic),
          values: { attempts, windowS: 60, disconnectAfter: this.cfg.retainAbuseDisconnectAfter },
        },
        `retained PUBLISH to ${safeDisplayString(topic)} where the ACL forbids retain (${attempts} in the last minute)`,
      ),
    );
  }

  forget(clientId: string): void {
    this.clients.delete(clientId);
  }
}
