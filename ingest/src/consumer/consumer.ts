// A durable pull consumer with the semantics every Sentinel reader needs:
// - batch fetch, validation at the boundary, one handler call per batch;
// - explicit ack only after the handler succeeded;
// - on failure, each record of the batch is retried alone so a poison record cannot hold the others back,
//   with a redelivery backoff per attempt;
// - a record that fails validation, or fails `maxDeliver` times, goes to the dead-letter subject with the
//   error in its headers, and is terminated: never retried forever;
// - a lag gauge from the consumer's pending count.
// It fails loudly: a broken connection or a deleted stream ends run() with an error, and the caller's
// supervisor restarts it.
import type {
  Consumer,
  ConsumerConfig,
  ConsumerInfo,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { headers as natsHeaders, nanos } from '@nats-io/nats-core';
import { deadLetterSubject } from '../contract/subjects.ts';
import type { Validated } from '../contract/validate.ts';
import { formatProblems } from '../contract/validate.ts';
import { ingestMetrics } from '../metrics/ingest-metrics.ts';
import { CumulativeAcks } from './cumulative-acks.ts';
import { parseDelivery } from './delivery.ts';
import type { IngestMetrics } from '../metrics/ingest-metrics.ts';
import type { Logger } from '../util/log.ts';
import { silentLogger } from '../util/log.ts';

export interface ConsumedRecord<T> {
  value: T;
  subject: string;
  /** Stream sequence. */
  seq: number;
  /**
   * JetStream's delivery count, raised to at least 2 whenever the record may have been handled before:
   * a retry after its batch failed, or a record a replaced durable had already handed out. Handlers that
   * must not store a record twice look such records up first.
   */
  deliveryCount: number;
}

export interface ConsumerOptions<T> {
  nc: NatsConnection;
  stream: string;
  durable: string;
  filterSubjects?: string[];
  validate: (input: unknown) => Validated<T>;
  handle: (batch: ConsumedRecord<T>[]) => Promise<void>;
  /** Messages per fetch (default 500). */
  batchSize?: number;
  /** How long one fetch waits for messages, ms (default 1000). */
  fetchExpiresMs?: number;
  /** Attempts before a record is dead-lettered (default 5). */
  maxDeliver?: number;
  /** Delay before redelivery per attempt, ms; the last value repeats (default 200, 1000, 5000). */
  backoffMs?: number[];
  /** Server-side ack wait, ms (default 30 s). */
  ackWaitMs?: number;
  /** Where a new durable starts: 'all' (default) or 'new'. */
  deliver?: 'all' | 'new';
  /**
   * Latency bound for low-traffic periods. Unset (default): batches come from fetch(), which waits up to
   * `fetchExpiresMs` (at least 1 s) for a full batch. Set: records stream in through JetStream consume()
   * and a batch is handed over when `batchSize` records are buffered or `maxWaitMs` after the first of
   * them arrived, whichever comes first.
   */
  maxWaitMs?: number;
  /**
   * AckPolicy "all": one ack per handled batch instead of one per message (see cumulative-acks.ts). Only
   * for a durable that one process reads at a time. Failed records are retried in place with the
   * backoff instead of being nak'ed, since a later cumulative ack would cover a nak'ed record. An
   * existing durable with the other policy is replaced without losing or repeating a record: records
   * the old one may have handed over come again with a deliveryCount of at least 2.
   */
  ackAll?: boolean;
  metrics?: IngestMetrics;
  log?: Logger;
}

/** A replaced durable's description says up to which stream sequence records may come a second time. */
const SEEN_PREFIX = 'sentinel: may redeliver handled records up to stream sequence ';

function seenUpTo(description: string | undefined): number {
  if (!description?.startsWith(SEEN_PREFIX)) return 0;
  const n = Number(description.slice(SEEN_PREFIX.length));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

interface Prepared<T> {
  rec: ConsumedRecord<T>;
  msg: JsMsg;
}

export class DurableConsumer<T> {
  private readonly o: Required<Omit<ConsumerOptions<T>, 'filterSubjects' | 'metrics' | 'log' | 'maxWaitMs'>> &
    Pick<ConsumerOptions<T>, 'filterSubjects' | 'maxWaitMs'>;
  private readonly m: IngestMetrics;
  private readonly log: Logger;
  private stopped = false;
  private lagTimer: NodeJS.Timeout | undefined;
  private js: JetStreamClient | undefined;
  private consumer: Consumer | undefined;
  private streaming: ConsumerMessages | undefined;
  /** The batch being handled while the next one is parsed; see pipeline(). */
  private inflight: Promise<void> = Promise.resolve();
  private failure: unknown;
  /** AckPolicy "all" only: which finished records an ack may cover now. */
  private acks: CumulativeAcks<JsMsg> | undefined;
  /** Records up to this stream sequence may have been handed over by a replaced durable. */
  private seenUpTo = 0;
  /** Last known number of messages not yet delivered. */
  lag = 0;

  constructor(opts: ConsumerOptions<T>) {
    this.o = {
      batchSize: 500,
      fetchExpiresMs: 1000,
      maxDeliver: 5,
      backoffMs: [200, 1000, 5000],
      ackWaitMs: 30_000,
      deliver: 'all',
      ackAll: false,
      ...opts,
    };
    this.m = opts.metrics ?? ingestMetrics();
    this.log = (opts.log ?? silentLogger).child({
      component: 'consumer',
      consumer: opts.durable,
      stream: opts.stream,
    });
  }

  /** Create the durable if needed (idempotent); replace it if its ack policy is not the one asked for. */
  async ensure(): Promise<Consumer> {
    const jsm: JetStreamManager = await jetstreamManager(this.o.nc);
    const cfg: Partial<ConsumerConfig> & { durable_name: string } = {
      durable_name: this.o.durable,
      ack_policy: this.o.ackAll ? AckPolicy.All : AckPolicy.Explicit,
      ack_wait: nanos(this.o.ackWaitMs),
      max_ack_pending: Math.max(this.o.batchSize * 4, 1000),
      deliver_policy: this.o.deliver === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
      ...(this.o.filterSubjects && this.o.filterSubjects.length === 1
        ? { filter_subject: this.o.filterSubjects[0] }
        : this.o.filterSubjects
          ? { filter_subjects: this.o.filterSubjects }
          : {}),
    };
    const info = await this.info(jsm, this.o.durable);
    const parked = await this.info(jsm, this.parkedName());
    const current =
      parked || (info && info.config.ack_policy !== cfg.ack_policy)
        ? await this.replace(jsm, cfg, info, parked)
        : (info ?? (await jsm.consumers.add(this.o.stream, cfg)));
    this.seenUpTo = seenUpTo(current.config.description);
    this.js = jetstream(this.o.nc);
    this.consumer = await this.js.consumers.get(this.o.stream, this.o.durable);
    return this.consumer;
  }

  /**
   * A durable's ack policy cannot be changed in place. The new durable starts right after the old one's
   * ack floor, so nothing is skipped; whatever the old one delivered past that floor may have been handled
   * already, so those records are marked (deliveryCount >= 2) for the handler to check. The plan is
   * parked in a second durable before the old one is deleted, so a crash half-way resumes it on the next
   * start instead of creating a durable that replays the whole stream as new.
   */
  private async replace(
    jsm: JetStreamManager,
    cfg: Partial<ConsumerConfig> & { durable_name: string },
    old: ConsumerInfo | undefined,
    parked: ConsumerInfo | undefined,
  ): Promise<ConsumerInfo> {
    const start = parked?.config.opt_start_seq ?? (old ? old.ack_floor.stream_seq + 1 : 1);
    const seen = parked ? seenUpTo(parked.config.description) : (old?.delivered.stream_seq ?? 0);
    const plan: Partial<ConsumerConfig> & { durable_name: string } = {
      ...cfg,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start,
      description: `${SEEN_PREFIX}${seen}`,
    };
    if (!parked) await jsm.consumers.add(this.o.stream, { ...plan, durable_name: this.parkedName() });
    let current = old;
    if (old && old.config.ack_policy !== cfg.ack_policy) {
      await jsm.consumers.delete(this.o.stream, this.o.durable);
      current = undefined;
    }
    current ??= await jsm.consumers.add(this.o.stream, plan);
    await jsm.consumers.delete(this.o.stream, this.parkedName());
    this.log.info('durable replaced to change its ack policy', {
      ackPolicy: cfg.ack_policy,
      startSeq: start,
      maybeSeenUpTo: seen,
    });
    return current;
  }

  private parkedName(): string {
    return `${this.o.durable}-replacing`;
  }

  private async info(jsm: JetStreamManager, name: string): Promise<ConsumerInfo | undefined> {
    try {
      return await jsm.consumers.info(this.o.stream, name);
    } catch (err) {
      if (err instanceof JetStreamApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * With AckPolicy "all", what an earlier run left delivered and unacknowledged (a crash between insert
   * and ack, or a run that failed) holds every ack back until it has come again and been handled.
   */
  private async startAcks(consumer: Consumer): Promise<void> {
    if (!this.o.ackAll) return;
    const info = await consumer.info();
    this.acks = new CumulativeAcks<JsMsg>(
      info.num_ack_pending > 0
        ? {
            floor: info.ack_floor.stream_seq,
            upTo: info.delivered.stream_seq,
            count: info.num_ack_pending,
          }
        : undefined,
    );
  }

  /** Fetch and handle until stop(); throws on a failure the supervisor should see. */
  async run(): Promise<void> {
    const consumer = this.consumer ?? (await this.ensure());
    await this.startAcks(consumer);
    this.lagTimer = setInterval(() => void this.refreshLag(), 2000);
    this.lagTimer.unref();
    if (this.o.maxWaitMs !== undefined) return this.runStreaming(consumer, this.o.maxWaitMs);
    try {
      while (!this.stopped) {
        const iter = await consumer.fetch({ max_messages: this.o.batchSize, expires: this.o.fetchExpiresMs });
        const msgs: JsMsg[] = [];
        for await (const m of iter) {
          msgs.push(m);
          if (msgs.length >= this.o.batchSize) break;
        }
        if (msgs.length > 0) await this.pipeline(msgs);
      }
      await this.drain();
    } finally {
      // never leave a batch being handled behind: a restarted run() must not handle beside it
      await this.inflight;
      clearInterval(this.lagTimer);
    }
  }

  /** consume() keeps pull requests open, so a record is handed over at most `maxWaitMs` after it arrives. */
  private async runStreaming(consumer: Consumer, maxWaitMs: number): Promise<void> {
    const messages = await consumer.consume({
      max_messages: this.o.batchSize * 2,
      expires: Math.max(1000, this.o.fetchExpiresMs),
    });
    this.streaming = messages;
    const it = messages[Symbol.asyncIterator]();
    let buf: JsMsg[] = [];
    // The batch's deadline wakes whichever wait is current. (A Promise.race against one timer promise per
    // batch would hang a reaction on that promise for every record until the timer fires.)
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    let wake: ((r: 'timeout') => void) | undefined;
    let next = it.next();
    try {
      while (!this.stopped) {
        // `next` survives a timeout: the record it resolves to joins the following batch
        const r =
          timer === undefined
            ? await next
            : expired
              ? 'timeout'
              : await new Promise<IteratorResult<JsMsg> | 'timeout'>((resolve, reject) => {
                  wake = resolve;
                  next.then(resolve, reject);
                });
        wake = undefined;
        if (r !== 'timeout') {
          if (r.done) break;
          if (buf.length === 0) {
            expired = false;
            timer = setTimeout(() => {
              expired = true;
              wake?.('timeout');
            }, maxWaitMs);
          }
          buf.push(r.value);
          next = it.next();
          if (buf.length < this.o.batchSize) continue;
        }
        const batch = buf;
        buf = [];
        clearTimeout(timer);
        timer = undefined;
        await this.pipeline(batch);
      }
      await this.drain();
      if (!this.stopped) throw new Error(`consumer ${this.o.durable} on ${this.o.stream} stopped delivering`);
    } finally {
      clearTimeout(timer);
      messages.stop();
      await this.inflight;
      clearInterval(this.lagTimer);
    }
  }

  stop(): void {
    this.stopped = true;
    this.streaming?.stop();
  }

  private async refreshLag(): Promise<void> {
    try {
      const info = await this.consumer?.info();
      if (info) {
        this.lag = info.num_pending;
        this.m.lag.set({ consumer: this.o.durable }, info.num_pending);
        // an earlier run's records that never come back (they left the stream) must not hold acks forever
        if (this.acks?.holding && info.num_ack_pending <= this.acks.held()) {
          this.acks.liftHold();
          this.acks.flush();
        }
      }
    } catch {
      // the run loop reports connection trouble; the gauge keeps its last value
    }
  }

  /**
   * One batch in flight: this batch is parsed and validated while the one before it is still being
   * handled (the handler's I/O, e.g. a database insert, overlaps with the parsing), then handed over once
   * that one is done, so batches reach the handler one at a time and in order, and every ack still
   * follows its own batch's handler.
   */
  private async pipeline(msgs: JsMsg[]): Promise<void> {
    const good = await this.prepare(msgs);
    await this.drain();
    if (good.length === 0) {
      this.acks?.flush(); // a batch of dead-lettered records only
      return;
    }
    this.inflight = this.commit(good).catch((err: unknown) => {
      this.failure = err;
    });
  }

  /** Wait for the batch in flight; rethrow what it failed with (a dead-letter publish that failed). */
  private async drain(): Promise<void> {
    await this.inflight;
    if (this.failure !== undefined) {
      const err = this.failure;
      this.failure = undefined;
      throw err;
    }
  }

  private async prepare(msgs: JsMsg[]): Promise<Prepared<T>[]> {
    const good: Prepared<T>[] = [];
    for (const msg of msgs) {
      // the client's messages carry their reply subject, though its JsMsg type does not declare it
      const reply = (msg as { reply?: unknown }).reply;
      const info = (typeof reply === 'string' ? parseDelivery(reply) : undefined) ?? msg.info;
      if (info.deliveryCount > 1) this.m.redelivered.inc({ consumer: this.o.durable });
      this.acks?.received(info.streamSequence);
      // a replaced durable may have handed this record over before
      const deliveryCount =
        info.streamSequence <= this.seenUpTo ? Math.max(2, info.deliveryCount) : info.deliveryCount;
      let parsed: unknown;
      try {
        parsed = msg.json();
      } catch (err) {
        await this.deadLetter(msg, 'invalid', `not JSON: ${(err as Error).message}`);
        continue;
      }
      const v = this.o.validate(parsed);
      if (!v.ok) {
        await this.deadLetter(msg, 'invalid', formatProblems(v.problems));
        continue;
      }
      good.push({
        rec: {
          value: v.value,
          subject: msg.subject,
          seq: info.streamSequence,
          deliveryCount,
        },
        msg,
      });
    }
    return good;
  }

  private async commit(good: Prepared<T>[]): Promise<void> {
    const started = performance.now();
    try {
      await this.o.handle(good.map((g) => g.rec));
      this.settled(good);
      this.m.acked.inc({ consumer: this.o.durable }, good.length);
    } catch (err) {
      this.log.warn('batch handler failed; retrying its records one by one', {
        error: err,
        size: good.length,
      });
      // the failed batch may have been stored in part: the retries say so with their delivery count
      for (const g of good) {
        const rec = { ...g.rec, deliveryCount: g.rec.deliveryCount + 1 };
        if (this.acks) await this.retryInPlace(this.acks, rec, g.msg);
        else await this.handleAlone(rec, g.msg);
      }
      this.acks?.flush();
    }
    this.m.handleSeconds.observe({ consumer: this.o.durable }, (performance.now() - started) / 1000);
  }

  /** Handled: one ack each, or with AckPolicy "all" one ack for all that can be covered now. */
  private settled(good: Prepared<T>[]): void {
    if (!this.acks) {
      for (const g of good) g.msg.ack();
      return;
    }
    for (const g of good) this.acks.finished(g.rec.seq, g.msg);
    this.acks.flush();
  }

  /**
   * AckPolicy "all": a nak'ed record would be covered by the next batch's ack, so a failing record is
   * retried here, with the backoff, until it is handled or dead-lettered. Stopping leaves it unfinished:
   * no ack covers it and the server delivers it again.
   */
  private async retryInPlace(acks: CumulativeAcks<JsMsg>, rec: ConsumedRecord<T>, msg: JsMsg): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.o.handle([{ ...rec, deliveryCount: rec.deliveryCount + attempt - 1 }]);
        acks.finished(rec.seq, msg);
        this.m.acked.inc({ consumer: this.o.durable });
        return;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (attempt >= this.o.maxDeliver) {
          await this.deadLetter(msg, 'failed', `handler failed ${attempt} times: ${message}`);
          return;
        }
        const delays = this.o.backoffMs;
        await new Promise((r) => setTimeout(r, delays[Math.min(attempt - 1, delays.length - 1)] ?? 1000));
      }
    }
  }

  private async handleAlone(rec: ConsumedRecord<T>, msg: JsMsg): Promise<void> {
    try {
      await this.o.handle([rec]);
      msg.ack();
      this.m.acked.inc({ consumer: this.o.durable });
    } catch (err) {
      const attempt = msg.info.deliveryCount;
      const message = err instanceof Error ? err.message : String(err);
      if (attempt >= this.o.maxDeliver) {
        await this.deadLetter(msg, 'failed', `handler failed ${attempt} times: ${message}`);
        return;
      }
      const delays = this.o.backoffMs;
      msg.nak(delays[Math.min(attempt - 1, delays.length - 1)] ?? 1000);
    }
  }

  /** Store the record on the dead-letter subject first, then ack it: nothing is lost. */
  private async deadLetter(msg: JsMsg, cause: 'invalid' | 'failed', error: string): Promise<void> {
    const h = natsHeaders();
    h.set('Sentinel-Error', error.slice(0, 2000).replace(/[\r\n]+/g, ' '));
    h.set('Sentinel-Cause', cause);
    h.set('Sentinel-Stream', this.o.stream);
    h.set('Sentinel-Consumer', this.o.durable);
    h.set('Sentinel-Seq', String(msg.seq));
    h.set('Sentinel-Subject', msg.subject);
    h.set('Nats-Msg-Id', `dlq-${this.o.stream}-${this.o.durable}-${msg.seq}`);
    const js = this.js ?? jetstream(this.o.nc);
    await js.publish(deadLetterSubject(this.o.stream, this.o.durable), msg.data, { headers: h });
    // Acked, not terminated: the record now lives in the dead-letter stream, and an ack advances the
    // consumer's floor on every server version (a TERM leaves it pending on 2.9). With AckPolicy "all"
    // its own ack would cover the records before it, handled or not: it joins the next cumulative ack.
    if (this.acks) this.acks.finished(msg.seq, msg);
    else msg.ack();
    this.m.deadLettered.inc({ consumer: this.o.durable, cause });
    this.log.warn('record dead-lettered', { seq: msg.seq, subject: msg.subject, cause, error });
  }
}
