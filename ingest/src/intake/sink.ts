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

  /** Spool bytes that batches being published may still add (estimated from their size). */
  private pendingBytes = 0;

  /**
   * True while NATS is away and the spool, with what batches in progress and `extraBytes` may add to it,
   * is past the bound: senders should back off. Counting a batch before it is taken keeps a large batch
   * from carrying the spool past its own limit, where it would drop events.
   */
  busy(extraBytes = 0): boolean {
    const s = this.publisher.getStats();
    return s.mode !== 'live' && s.spoolBytes + this.pendingBytes + extraBytes > this.maxSpoolBytes;
  }

  /** Spool bytes a batch may take: its JSON plus the subject and id each spool line adds. */
  static spoolEstimate(jsonBytes: number, events: number): number {
    return jsonBytes + 64 * events;
  }

  async accept(events: DecisionEventV1[], estimatedBytes = 0): Promise<AcceptResult> {
    this.pendingBytes += estimatedBytes;
    let outcomes: Awaited<ReturnType<EventPublisher['publishAcked']>>[];
    try {
      outcomes = await Promise.all(events.map((e) => this.publisher.publishAcked(e)));
    } finally {
      this.pendingBytes -= estimatedBytes;
    }
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
