// Where intake hands events: the same EventPublisher every component uses (dedupe by id as
// Nats-Msg-Id, disk spool while NATS is away). `accept` resolves only when each event is acknowledged
// by JetStream or written to the spool file, so an HTTP 202 means the event is safe.
import type { EventPublisher } from '../publisher/publisher.ts';
import type { DecisionEventV1 } from '../contract/v1.ts';

export interface AcceptResult {
  published: number;
  spooled: number;
  /** Dropped because the spool was full: the sender must send them again. */
  dropped: number;
}

export class IntakeSink {
  constructor(
    readonly publisher: EventPublisher,
    private readonly maxSpoolBytes: number,
  ) {}

  /** True while the publisher holds more on disk than intake may add to: senders should back off. */
  busy(): boolean {
    const s = this.publisher.getStats();
    return s.mode !== 'live' && s.spoolBytes > this.maxSpoolBytes;
  }

  async accept(events: DecisionEventV1[]): Promise<AcceptResult> {
    const outcomes = await Promise.all(events.map((e) => this.publisher.publishAcked(e)));
    const r: AcceptResult = { published: 0, spooled: 0, dropped: 0 };
    for (const o of outcomes) {
      if (o === 'published') r.published++;
      else if (o === 'spooled') r.spooled++;
      else r.dropped++;
    }
    return r;
  }

  /** Fire and forget, for senders that get no answer (syslog); the outcome still counts. */
  publish(event: DecisionEventV1, counted: (dropped: boolean) => void): void {
    void this.publisher.publishAcked(event).then((o) => counted(o === 'dropped'));
  }
}
