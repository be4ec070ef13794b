// One sink reading one stream: a durable consumer (pulled with consume()) with AckPolicy.All, so a
// single ack confirms a whole prefix and the position survives restarts and outages. The loop
//   fetches a batch → validates and filters (filtered records ride along, acked with the batch) →
//   formats → sends with retries → acks once the sink has confirmed delivery.
// Order: one batch at a time; a receiver that is unreachable is retried with backoff for as long as it
// takes (nothing is skipped), and while it is, the held records are kept alive on the server (`working`)
// so they are not redelivered out of order. A batch the receiver refuses is retried maxAttempts times,
// then its records are tried one by one and those still refused go to the dead-letter subject.
// Syslog over TCP/TLS has no acknowledgement: written batches wait `confirmMs` and are only acked if the
// connection did not drop meanwhile; otherwise they are written again, before any newer batch and on
// one connection (at least once, in order).
// Memory is bounded by batchSize and maxUnconfirmed. NATS trouble ends run() with an error for the
// supervisor.
import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { backoffDelay, deadLetterSubject, formatProblems } from '@sentinel/ingest';
import type { Logger } from '@sentinel/ingest';
import type { SinkConfig } from '../config.ts';
import { ExportError, ExportErrorCode, isUnavailable } from '../errors.ts';
import type { ExportRecord } from '../format/types.ts';
import type { BatchFramer, Encoded, Sink } from '../sinks/types.ts';
import type { Encoder } from './encode.ts';
import type { ExportMetrics } from './metrics.ts';
import type { Source } from './source.ts';

const ACK_WAIT_MS = 30_000;
const STALE = 'stale' as const;
/** Keep held records alive this often while a receiver is away. */
const WORKING_EVERY_MS = 10_000;

/**
 * The records of a batch that go to the sink: their messages and times, and either their encodings or,
 * for byte-stream sinks, the bytes they were framed into as they were encoded. Only those bytes are kept
 * until the batch is confirmed, not every record's text: far less live memory for the collector to copy.
 */
interface Outgoing {
  msgs: JsMsg[];
  /** Record times (ms), for the delivery latency. */
  ts: number[];
  encs?: Encoded[];
  framed?: Buffer;
}

/** A fetched batch: every message (for the ack) and the part that was sent. */
interface Sent {
  msgs: JsMsg[];
  out: Outgoing;
  epoch: number;
  at: number;
}

export interface LoopDeps {
  nc: NatsConnection;
  cfg: SinkConfig;
  source: Source;
  sink: Sink;
  encode: Encoder;
  metrics: ExportMetrics;
  log: Logger;
  /** Serializes sends of the sink's loops so their batches never interleave on one connection. */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>;
}

export class SourceLoop {
  private stopped = false;
  private js: JetStreamClient | undefined;
  private consumer: Consumer | undefined;
  private unconfirmed: Sent[] = [];
  private unconfirmedCount = 0;
  private lastWorking = 0;
  private wake: (() => void) | undefined;
  private messages: ConsumerMessages | undefined;
  private readonly label: { sink: string };
  /** Set for byte-stream sinks: records are framed as they are encoded (see Outgoing). */
  private readonly framer: BatchFramer | undefined;

  constructor(private readonly d: LoopDeps) {
    this.label = { sink: d.cfg.name };
    this.framer = d.sink.framer && d.sink.sendFramed ? d.sink.framer() : undefined;
  }

  async ensure(): Promise<Consumer> {
    const { nc, source, cfg } = this.d;
    const jsm = await jetstreamManager(nc);
    const d = cfg.delivery;
    const config = {
      durable_name: source.durable,
      ack_policy: AckPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_ack_pending: d.maxUnconfirmed + d.batchSize * 2,
      deliver_policy: d.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      filter_subject: source.filterSubject,
    };
    try {
      const info = await jsm.consumers.info(source.stream, source.durable);
      if (info.config.ack_policy !== AckPolicy.All) {
        // One ack per batch confirms the whole prefix only under AckPolicy.All; under another policy the
        // rest of every batch would come back. A consumer's policy cannot be changed in place, and
        // recreating it here could lose its position if this process stopped in between: say what to do.
        throw new ExportError(
          ExportErrorCode.Setup,
          `durable consumer ${source.durable} on ${source.stream} has ack policy "${info.config.ack_policy}", the export needs "all"; ` +
            `recreate it with ack policy all starting at stream sequence ${info.ack_floor.stream_seq + 1} (its position), or delete it to start over`,
          {
            context: { durable: source.durable, stream: source.stream, ackFloor: info.ack_floor.stream_seq },
          },
        );
      }
      if (info.config.filter_subject !== source.filterSubject) {
        this.d.log.warn('the durable consumer keeps its earlier subject filter; kinds are filtered here', {
          durable: source.durable,
          filter: info.config.filter_subject,
        });
      }
      await jsm.consumers.update(source.stream, source.durable, { max_ack_pending: config.max_ack_pending });
    } catch (err) {
      if (!/consumer not found/i.test((err as Error).message)) throw err;
      await jsm.consumers.add(source.stream, config);
    }
    this.js = jetstream(nc);
    this.consumer = await this.js.consumers.get(source.stream, source.durable);
    return this.consumer;
  }

  async run(): Promise<void> {
    this.stopped = false;
    const consumer = await this.ensure();
    const lagTimer = setInterval(() => void this.refreshLag(), 2000);
    lagTimer.unref();
    const d = this.d.cfg.delivery;
    // consume() keeps pull requests open, so a record is handed over at most batchWaitMs after it arrives.
    // The client queues its next pull request behind the messages already received, so it is only sent
    // once the loop reaches it: a high threshold asks again after every batch and keeps the server busy
    // while this loop formats and sends.
    const maxMessages = Math.max(d.batchSize * 8, 1000);
    const messages = await consumer.consume({
      max_messages: maxMessages,
      threshold_messages: maxMessages - d.batchSize,
      expires: 1000,
    });
    this.messages = messages;
    const it = messages[Symbol.asyncIterator]();
    let next = it.next();
    let buf: JsMsg[] = [];
    let deadline = 0;
    // One timer at a time: the batch deadline while a batch fills, else the next confirmation or an idle tick.
    let tick: { promise: Promise<'tick'>; cancel: () => void } | undefined;
    try {
      while (!this.stopped) {
        if (buf.length === 0) await this.settle();
        if (!tick) {
          const now = Date.now();
          const head = this.unconfirmed[0];
          const wait = buf.length > 0 ? deadline - now : head ? head.at + d.confirmMs - now : 1000;
          tick = this.timer(Math.max(0, wait));
        }
        // `next` survives a tick: the record it resolves to joins a later batch
        const r = await Promise.race([next, tick.promise]);
        if (r === 'tick') {
          tick = undefined;
        } else {
          if (r.done) break;
          if (buf.length === 0) {
            deadline = Date.now() + d.batchWaitMs;
            tick.cancel();
            tick = undefined;
          }
          buf.push(r.value);
          next = it.next();
          if (buf.length < d.batchSize) continue;
        }
        if (buf.length > 0 && (buf.length >= d.batchSize || Date.now() >= deadline)) {
          tick?.cancel();
          tick = undefined;
          const batch = buf;
          buf = [];
          await this.process(batch);
        }
      }
      tick?.cancel();
      if (!this.stopped) throw new Error(`consumer ${this.d.source.durable} stopped delivering`);
      for (const m of buf) m.nak();
      await this.drain();
    } finally {
      messages.stop();
      clearInterval(lagTimer);
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
    this.messages?.stop();
  }

  private timer(ms: number): { promise: Promise<'tick'>; cancel: () => void } {
    let t: NodeJS.Timeout | undefined;
    const promise = new Promise<'tick'>((resolve) => {
      t = setTimeout(() => resolve('tick'), ms);
    });
    return { promise, cancel: () => clearTimeout(t) };
  }

  private async process(msgs: JsMsg[]): Promise<void> {
    const framer = this.framer;
    const out: Outgoing = framer ? { msgs: [], ts: [] } : { msgs: [], ts: [], encs: [] };
    let filtered = 0;
    for (const msg of msgs) {
      // Synchronous on the common path: only a bad record costs an await (its dead-letter publish).
      const rec = this.decode(msg);
      if (typeof rec === 'string') {
        await this.deadLetter(msg, 'invalid', rec);
        continue;
      }
      if (!this.accepts(rec)) {
        filtered++;
        continue;
      }
      let enc: Encoded;
      try {
        enc = this.d.encode(rec);
      } catch (err) {
        await this.deadLetter(msg, 'unencodable', (err as Error).message);
        continue;
      }
      if (out.encs) out.encs.push(enc);
      else framer?.add(enc.text);
      out.msgs.push(msg);
      out.ts.push(enc.ts);
    }
    if (framer && out.msgs.length > 0) out.framed = framer.take();
    if (filtered > 0) this.d.metrics.filtered.inc(this.label, filtered);
    await this.deliver(msgs, out);
  }

  private accepts(rec: ExportRecord): boolean {
    const f = this.d.cfg.filters;
    if (rec.value.severity < f.minSeverity) return false;
    return rec.type === 'incident' || f.kinds.length === 0 || f.kinds.includes(rec.value.kind);
  }

  /** The record, or why it is not one. */
  private decode(msg: JsMsg): ExportRecord | string {
    let input: unknown;
    try {
      input = msg.json();
    } catch (err) {
      return `not JSON: ${(err as Error).message}`;
    }
    const v = this.d.source.parse(input);
    return v.ok ? v.value : formatProblems(v.problems);
  }

  /** Send `out` (the sendable part of `msgs`) until the sink takes it, then ack or hold for confirmation. */
  private async deliver(msgs: JsMsg[], out: Outgoing): Promise<void> {
    let epoch: number | undefined;
    if (out.msgs.length > 0) {
      const sent = await this.sendBehindUnconfirmed(out);
      if (sent === false) return; // stopping: the records stay unacked and come back on restart
      epoch = sent;
    } else {
      epoch = this.d.sink.connectionEpoch?.();
    }
    if (epoch === undefined || this.d.cfg.delivery.confirmMs === 0 || out.msgs.length === 0) {
      if (this.unconfirmed.length === 0) return this.ack(msgs, out);
    }
    this.unconfirmed.push({ msgs, out, epoch: epoch ?? 0, at: Date.now() });
    this.unconfirmedCount += msgs.length;
    this.d.metrics.unconfirmed.set(this.label, this.unconfirmedCount);
  }

  /**
   * A new batch goes on the connection that carries the unconfirmed ones before it; if that connection is
   * gone, those are written again first, so a receiver never sees a record before an earlier one.
   */
  private async sendBehindUnconfirmed(out: Outgoing): Promise<number | undefined | false> {
    for (;;) {
      const last = this.unconfirmed[this.unconfirmed.length - 1];
      const sent = await this.sendWithRetry(out, last?.epoch);
      if (sent !== STALE) return sent;
      if (!(await this.resendAll())) return false;
    }
  }

  /** Write every unconfirmed batch again, in order, all on one connection; false if stopped first. */
  private async resendAll(): Promise<boolean> {
    const n = this.unconfirmed.reduce((a, s) => a + s.out.msgs.length, 0);
    this.d.log.warn('connection lost before delivery was confirmed; writing those records again', {
      records: n,
    });
    this.d.metrics.resent.inc(this.label, n);
    for (;;) {
      let epoch: number | undefined;
      let stale = false;
      for (const s of this.unconfirmed) {
        if (s.out.msgs.length === 0) continue;
        const sent = await this.sendWithRetry(s.out, epoch);
        if (sent === false) return false;
        if (sent === STALE) {
          stale = true;
          break;
        }
        epoch = sent;
      }
      if (stale) continue;
      const now = Date.now();
      const e = epoch ?? this.d.sink.connectionEpoch?.() ?? 0;
      for (const s of this.unconfirmed) {
        s.epoch = e;
        s.at = now;
      }
      return true;
    }
  }

  /**
   * Once sent: the connection epoch it was written under (undefined for acknowledged transports); false
   * if the loop was stopped first; STALE if `expectEpoch` is no longer the connection. Refused records
   * end in the dead-letter subject.
   */
  private async sendWithRetry(
    out: Outgoing,
    expectEpoch?: number,
  ): Promise<number | undefined | false | typeof STALE> {
    const { cfg, metrics } = this.d;
    const d = cfg.delivery;
    let attempt = 0;
    let refused = 0;
    for (;;) {
      if (this.stopped) return false;
      try {
        const epoch = await this.d.exclusive(() => this.write(out, expectEpoch));
        return typeof epoch === 'number' ? epoch : undefined;
      } catch (err) {
        if (err instanceof ExportError && err.code === ExportErrorCode.Stale) return STALE;
        attempt++;
        metrics.failed.inc(this.label, out.msgs.length);
        if (!isUnavailable(err) && ++refused >= d.maxAttempts) {
          await this.refusedOneByOne(out, err);
          return this.d.sink.connectionEpoch?.();
        }
        const delay = backoffDelay(attempt, d.backoffMinMs, d.backoffMaxMs);
        if (attempt === 1 || attempt % 10 === 0) {
          this.d.log.warn('send failed; retrying', {
            error: err,
            attempt,
            delayMs: delay,
            records: out.msgs.length,
          });
        }
        this.keepAlive(out.msgs);
        await this.sleep(delay);
        metrics.retried.inc(this.label, out.msgs.length);
      }
    }
  }

  private write(out: Outgoing, expectEpoch?: number): Promise<number | void> {
    const { sink } = this.d;
    if (out.framed && sink.sendFramed) return sink.sendFramed(out.framed, expectEpoch);
    return sink.send(out.encs ?? out.msgs.map((m) => this.encodeAgain(m)), expectEpoch);
  }

  /** A sent record's encoding, made again from its message: encoding is a pure function of the record. */
  private encodeAgain(msg: JsMsg): Encoded {
    const rec = this.decode(msg);
    if (typeof rec === 'string') throw new Error(`record ${msg.seq} no longer decodes: ${rec}`);
    return this.d.encode(rec);
  }

  private async refusedOneByOne(out: Outgoing, batchErr: unknown): Promise<void> {
    if (out.msgs.length === 1) {
      await this.deadLetter(out.msgs[0] as JsMsg, 'refused', (batchErr as Error).message);
      return;
    }
    for (let i = 0; i < out.msgs.length; i++) {
      const msg = out.msgs[i] as JsMsg;
      const enc = out.encs?.[i] ?? this.encodeAgain(msg);
      try {
        await this.d.exclusive(() => this.d.sink.send([enc]));
      } catch (err) {
        if (isUnavailable(err)) throw err;
        await this.deadLetter(msg, 'refused', (err as Error).message);
      }
    }
  }

  /** Ack what is confirmed, write again what a lost connection may have dropped, and wait for room. */
  private async settle(): Promise<void> {
    const { sink, cfg } = this.d;
    for (;;) {
      const epoch = sink.connectionEpoch?.();
      if (epoch !== undefined && this.unconfirmed.some((s) => s.epoch !== epoch)) {
        if (!(await this.resendAll())) return;
      }
      const now = Date.now();
      let acked = false;
      while (
        this.unconfirmed.length > 0 &&
        (this.unconfirmed[0] as Sent).at + cfg.delivery.confirmMs <= now
      ) {
        const s = this.unconfirmed.shift() as Sent;
        this.unconfirmedCount -= s.msgs.length;
        this.ack(s.msgs, s.out);
        acked = true;
      }
      if (acked) this.d.metrics.unconfirmed.set(this.label, this.unconfirmedCount);
      if (this.unconfirmedCount < cfg.delivery.maxUnconfirmed || this.stopped) return;
      const head = this.unconfirmed[0] as Sent;
      await this.sleep(Math.max(1, head.at + cfg.delivery.confirmMs - now));
    }
  }

  private ack(msgs: JsMsg[], out: Outgoing): void {
    const last = msgs[msgs.length - 1];
    if (!last) return;
    last.ack(); // AckPolicy.All: acknowledges the whole prefix
    if (out.msgs.length === 0) return;
    const now = Date.now();
    this.d.metrics.sent.inc(this.label, out.msgs.length);
    for (const ts of out.ts) this.d.metrics.latency.observe(this.label, Math.max(0, now - ts) / 1000);
  }

  /** Tell the server the held records are still being worked on, so it does not redeliver them. */
  private keepAlive(msgs: JsMsg[]): void {
    const now = Date.now();
    if (now - this.lastWorking < WORKING_EVERY_MS) return;
    this.lastWorking = now;
    for (const s of this.unconfirmed) for (const m of s.msgs) m.working();
    for (const m of msgs) m.working();
  }

  /** On stop: let written records reach their confirmation, ack them, and leave the rest for the next run. */
  private async drain(): Promise<void> {
    if (this.unconfirmed.length === 0) return;
    await new Promise((r) => setTimeout(r, this.d.cfg.delivery.confirmMs));
    const epoch = this.d.sink.connectionEpoch?.();
    while (this.unconfirmed.length > 0) {
      const s = this.unconfirmed[0] as Sent;
      if (epoch !== undefined && s.epoch !== epoch) break;
      this.unconfirmed.shift();
      this.ack(s.msgs, s.out);
    }
    for (const s of this.unconfirmed) for (const m of s.msgs) m.nak();
    this.unconfirmed = [];
    this.unconfirmedCount = 0;
  }

  /** Store the record on the dead-letter subject; the batch ack then covers it. */
  private async deadLetter(
    msg: JsMsg,
    cause: 'invalid' | 'unencodable' | 'refused',
    error: string,
  ): Promise<void> {
    const { source } = this.d;
    const h = natsHeaders();
    h.set('Sentinel-Error', error.slice(0, 2000).replace(/[\r\n]+/g, ' '));
    h.set('Sentinel-Cause', cause);
    h.set('Sentinel-Stream', source.stream);
    h.set('Sentinel-Consumer', source.durable);
    h.set('Sentinel-Seq', String(msg.seq));
    h.set('Sentinel-Subject', msg.subject);
    h.set('Nats-Msg-Id', `dlq-${source.stream}-${source.durable}-${msg.seq}`);
    const js = this.js ?? jetstream(this.d.nc);
    await js.publish(deadLetterSubject(source.stream, source.durable), msg.data, { headers: h });
    this.d.metrics.deadLettered.inc({ sink: this.d.cfg.name, cause });
    this.d.log.warn('record dead-lettered', { seq: msg.seq, cause, error: error.slice(0, 300) });
  }

  private async refreshLag(): Promise<void> {
    try {
      const info = await this.consumer?.info(true);
      if (info) {
        this.d.metrics.lag.set(
          { sink: this.d.cfg.name, stream: this.d.source.stream },
          info.num_pending + info.num_ack_pending,
        );
      }
    } catch {
      // the run loop reports connection trouble; the gauge keeps its last value
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
