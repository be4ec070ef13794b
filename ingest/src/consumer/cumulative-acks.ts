// Bookkeeping for a consumer with AckPolicy "all": one ack of stream sequence S acknowledges every message
// of the consumer up to S. That is one ack per batch instead of one per message, and it is only safe when
// nothing at or below S is still unfinished:
// - a message received but not yet handled (the batch parsed while the one before it is inserted, a
//   redelivery arriving out of order, a record being retried) holds the acks below its sequence back;
// - messages a previous process was given and never acknowledged (it crashed between insert and ack) are
//   not even in this process yet: the server redelivers them after the ack wait. Until this process has
//   finished as many distinct sequences of that range as the server listed as pending at start, nothing
//   is acked. If some never come back (they left the stream meanwhile), the caller lifts the hold once the
//   server no longer counts more pending messages than this process knows of.

export interface Ackable {
  ack(): void;
}

/** What a previous incarnation left pending: sequences in (floor, upTo], `count` of them. */
export interface ForeignPending {
  floor: number;
  upTo: number;
  count: number;
}

export class CumulativeAcks<M extends Ackable> {
  /** Received and not finished, by sequence (a redelivered copy can be in hand twice). */
  private readonly open = new Map<number, number>();
  /** The highest finished message not yet acknowledged, and the sequences such an ack will cover. */
  private pending: { seq: number; msg: M } | undefined;
  private readonly waiting = new Set<number>();
  private foreign: ForeignPending | undefined;
  private readonly foreignDone = new Set<number>();

  constructor(foreign?: ForeignPending) {
    if (foreign && foreign.count > 0) this.foreign = foreign;
  }

  received(seq: number): void {
    this.open.set(seq, (this.open.get(seq) ?? 0) + 1);
  }

  /**
   * The message with this stream sequence is handled (stored, or dead-lettered): it may be covered by an
   * ack now. The sequence is passed in because reading it from the message parses its reply subject.
   */
  finished(seq: number, msg: M): void {
    const n = this.open.get(seq) ?? 0;
    if (n <= 1) this.open.delete(seq);
    else this.open.set(seq, n - 1);
    if (this.foreign && seq > this.foreign.floor && seq <= this.foreign.upTo) {
      this.foreignDone.add(seq);
      if (this.foreignDone.size >= this.foreign.count) this.liftHold();
    }
    // held() is only asked while holding; outside a hold the set is not kept
    if (this.foreign) this.waiting.add(seq);
    if (!this.pending || seq > this.pending.seq) this.pending = { seq, msg };
  }

  /** Acknowledge what can be, now; true when an ack was sent. */
  flush(): boolean {
    const p = this.pending;
    if (!p || this.foreign) return false;
    for (const seq of this.open.keys()) if (seq <= p.seq) return false;
    p.msg.ack();
    this.pending = undefined;
    this.waiting.clear();
    return true;
  }

  /**
   * Distinct sequences this process holds unacknowledged: in hand, or finished and waiting for an ack
   * (counted while holding, and nothing is acked while holding). The server's pending count can only be
   * higher (deliveries still in the client's buffer), so a server count no higher than this means no
   * message of a previous process is pending any more.
   */
  held(): number {
    let n = this.waiting.size;
    for (const seq of this.open.keys()) if (!this.waiting.has(seq)) n += 1;
    return n;
  }

  get holding(): boolean {
    return this.foreign !== undefined;
  }

  /** Called when the server shows no pending message beyond those this process holds. */
  liftHold(): void {
    this.foreign = undefined;
    this.foreignDone.clear();
  }
}
