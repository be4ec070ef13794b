// The JetStream publisher every component writes through.
//
// publish() never blocks and never awaits: it queues the record. A pump keeps at most `maxInFlight`
// publishes waiting for their JetStream ack, all answered on one shared inbox subscription (the shape of
// Go's PublishAsync), with the record id as Nats-Msg-Id so that JetStream drops re-sends. The frames are
// encoded by HpubWriter (hpub.ts, the same bytes as nc.publish() with less CPU) and the answers read by
// AckReader (ack.ts): at 100,000 events/s on two cores, the publisher's CPU is nats-server's headroom.
//
// When NATS goes away, or an ack fails or times out, the publisher switches to spooling: it waits for the
// in-flight publishes to settle, writes the failed ones and everything queued, in their original order,
// to the disk spool, and appends every later record there too. A replayer drains the spool oldest segment
// first once NATS answers again; only when the spool is empty does the publisher go live again. Order is
// kept and nothing is lost; a record whose ack was lost may be sent twice, and JetStream's duplicate
// window (plus every consumer's dedupe by id) makes that harmless.
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { createInbox } from '@nats-io/nats-core';
import { join } from 'node:path';
import type { PublisherConfig } from '../config/schema.ts';
import { eventSubject } from '../contract/subjects.ts';
import type { DecisionEventV1 } from '../contract/v1.ts';
import { IngestError, IngestErrorCode } from '../errors.ts';
import { ingestMetrics } from '../metrics/ingest-metrics.ts';
import type { IngestMetrics } from '../metrics/ingest-metrics.ts';
import type { Logger } from '../util/log.ts';
import { silentLogger } from '../util/log.ts';
import { AckReader, readAck } from './ack.ts';
import { HpubWriter } from './hpub.ts';
import { DiskSpool } from './spool.ts';
import type { SpoolRecord } from './spool.ts';

interface Item extends SpoolRecord {
  seq: number;
  /** Deadline for the ack, ms since epoch; 0 while queued. */
  deadline: number;
  replay: boolean;
  /** Told once where a publishAcked() record ended up. */
  done?: (outcome: PublishOutcome) => void;
}

/** Where a record ended up: acknowledged by JetStream, written to the disk spool, or dropped (spool full). */
export type PublishOutcome = 'published' | 'spooled' | 'dropped';

type Mode = 'live' | 'settling' | 'spooling';

export interface PublisherOptions {
  nc: NatsConnection;
  /** Unique per process: the spool lives in <dataDir>/<spoolDir>/<name>. */
  name: string;
  dataDir: string;
  config: PublisherConfig;
  metrics?: IngestMetrics;
  log?: Logger;
}

export interface PublisherStats {
  mode: Mode;
  queued: number;
  inFlight: number;
  published: number;
  duplicates: number;
  spooled: number;
  replayed: number;
  spoolDropped: number;
  spoolBytes: number;
}

export class EventPublisher {
  private readonly nc: NatsConnection;
  private readonly cfg: PublisherConfig;
  private readonly m: IngestMetrics;
  private readonly log: Logger;
  readonly spool: DiskSpool;
  private readonly inbox: string;
  private readonly sub: Subscription;
  private readonly writer: HpubWriter;
  private readonly acks = new AckReader();
  private readonly inFlight = new Map<number, Item>();
  private queue: Item[] = [];
  private queueHead = 0;
  private failed: Item[] = [];
  private mode: Mode = 'live';
  private seq = 0;
  private closed = false;
  private replaying = false;
  private replayWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  private lastDropLog = 0;
  private readonly stats = { published: 0, duplicates: 0, spooled: 0, replayed: 0, spoolDropped: 0 };
  /** Acknowledgements of one stream not yet added to the published counter (see countPublished). */
  private readonly uncounted = { stream: '', n: 0 };

  constructor(opts: PublisherOptions) {
    this.nc = opts.nc;
    this.cfg = opts.config;
    this.m = opts.metrics ?? ingestMetrics();
    this.log = (opts.log ?? silentLogger).child({ component: 'publisher', publisher: opts.name });
    this.spool = new DiskSpool({
      dir: join(opts.dataDir, opts.config.spoolDir, opts.name),
      maxBytes: opts.config.spoolMaxBytes,
      segmentBytes: opts.config.spoolSegmentBytes,
    });
    this.inbox = createInbox();
    this.sub = this.nc.subscribe(`${this.inbox}.*`, { callback: (err, msg) => this.onAck(err, msg) });
    this.writer = new HpubWriter(this.nc, `${this.inbox}.`);
    this.timer = setInterval(
      () => {
        this.countPublished();
        this.expire();
      },
      Math.min(250, this.cfg.ackTimeoutMs),
    );
    this.timer.unref();
    void this.watchStatus();
    if (!this.spool.empty) {
      this.log.info('spool holds records from an earlier run; replaying them first', {
        bytes: this.spool.bytes,
      });
      this.mode = 'spooling';
      this.startReplay();
    }
  }

  /** Queue one decision event. Never throws for NATS trouble and never waits. */
  publish(event: DecisionEventV1): void {
    this.publishRaw(eventSubject(event.kind), event.id, JSON.stringify(event));
  }

  /** Queue any record with an id (incidents, decisions, actions) on a subject. */
  publishRecord(subject: string, record: { id: string }): void {
    this.publishRaw(subject, record.id, JSON.stringify(record));
  }

  /**
   * Queue one decision event and learn where it ended up. For senders that must not answer "accepted"
   * before the event is safe: 'published' (JetStream acked it) or 'spooled' (written to the spool file,
   * replayed later); 'dropped' when the spool is full.
   */
  publishAcked(event: DecisionEventV1): Promise<PublishOutcome> {
    return new Promise((resolve) => {
      this.publishRaw(eventSubject(event.kind), event.id, JSON.stringify(event), resolve);
    });
  }

  publishRaw(subject: string, id: string, data: string, done?: (outcome: PublishOutcome) => void): void {
    if (this.closed) {
      throw new IngestError(IngestErrorCode.PublisherClosed, 'publish after close', { context: { id } });
    }
    const item: Item = { subject, id, data, seq: ++this.seq, deadline: 0, replay: false };
    if (done) item.done = done;
    if (this.mode === 'spooling') {
      this.toSpool(item);
      return;
    }
    this.queue.push(item);
    if (this.mode === 'live') {
      if (this.queue.length - this.queueHead > this.cfg.maxQueued) {
        this.log.warn('publish queue over its bound; spooling to disk until JetStream catches up', {
          queued: this.queue.length - this.queueHead,
        });
        this.enterSettling('queue_full');
        return;
      }
      this.pump();
    }
  }

  private pump(): void {
    while (
      this.mode === 'live' &&
      this.inFlight.size < this.cfg.maxInFlight &&
      this.queueHead < this.queue.length
    ) {
      const item = this.queue[this.queueHead++] as Item;
      this.send(item);
    }
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    if (this.inFlight.size === 0 && this.queueHead >= this.queue.length) this.wakeIdle();
  }

  private send(item: Item): void {
    item.deadline = Date.now() + this.cfg.ackTimeoutMs;
    this.inFlight.set(item.seq, item);
    try {
      // the reply subject is `${inbox}.${seq}`, the id goes out as Nats-Msg-Id (see hpub.ts)
      this.writer.publish(item.subject, item.seq, item.id, item.data);
    } catch (err) {
      this.inFlight.delete(item.seq);
      this.fail(item, err instanceof Error ? err.message : 'publish_error');
    }
  }

  private onAck(err: Error | null, msg: Msg): void {
    if (err) return;
    const dot = msg.subject.lastIndexOf('.');
    const seq = Number(msg.subject.slice(dot + 1));
    const item = this.inFlight.get(seq);
    if (!item) return; // expired earlier and already spooled; the dedupe window covers the re-send
    this.inFlight.delete(seq);
    const data = msg.data;
    // nearly every answer is a plain `{"stream":…,"seq":…}`: a byte scan, no JSON.parse (see ack.ts)
    const stream = this.acks.fastStream(data);
    if (stream !== undefined) {
      this.acked(item, stream, false);
      return;
    }
    const answer = readAck(data, msg.headers?.code);
    if (answer.ok) this.acked(item, answer.stream, answer.duplicate);
    else this.fail(item, answer.reason);
  }

  private acked(item: Item, stream: string, duplicate: boolean): void {
    if (duplicate) {
      this.stats.duplicates += 1;
      this.m.duplicates.inc({ stream });
    }
    this.stats.published += 1;
    if (stream !== this.uncounted.stream) this.countPublished();
    this.uncounted.stream = stream;
    this.uncounted.n += 1;
    if (item.replay) {
      this.stats.replayed += 1;
      this.m.replayed.inc();
    }
    item.done?.('published');
    this.settled(item);
  }

  /**
   * Add the acknowledgements not yet counted to sentinel_ingest_published_total. Counting them one by one
   * cost about as much CPU as reading the ack; they are added when the stream changes, on the 250 ms
   * timer, when the publisher goes idle, and in flush(), close() and getStats().
   */
  private countPublished(): void {
    if (this.uncounted.n === 0) return;
    this.m.published.inc({ stream: this.uncounted.stream }, this.uncounted.n);
    this.uncounted.n = 0;
  }

  private settled(item: Item): void {
    if (item.replay) {
      this.checkReplayDone();
      return;
    }
    if (this.mode === 'live') this.pump();
    else if (this.mode === 'settling') this.maybeFinishSettling();
  }

  private fail(item: Item, reason: string): void {
    this.m.publishFailures.inc({ reason: reason.startsWith('{') ? 'api_error' : reason.slice(0, 40) });
    if (item.replay) {
      this.replayFailed = true;
      this.checkReplayDone();
      return;
    }
    this.failed.push(item);
    if (this.mode === 'live') this.enterSettling(reason);
    else if (this.mode === 'settling') this.maybeFinishSettling();
    else this.toSpoolSorted();
  }

  private expire(): void {
    if (this.inFlight.size === 0) return;
    const now = Date.now();
    const expired: Item[] = [];
    for (const item of this.inFlight.values()) if (item.deadline <= now) expired.push(item);
    for (const item of expired) {
      this.inFlight.delete(item.seq);
      this.fail(item, 'ack_timeout');
    }
  }

  private enterSettling(reason: string): void {
    if (this.mode !== 'live') return;
    this.log.warn('JetStream unavailable; spooling events to disk', { reason, inFlight: this.inFlight.size });
    this.mode = 'settling';
    this.maybeFinishSettling();
  }

  /** Once nothing live is in flight, write failed + queued records to the spool in their original order. */
  private maybeFinishSettling(): void {
    let live = 0;
    for (const it of this.inFlight.values()) if (!it.replay) live++;
    if (live > 0) return;
    this.toSpoolSorted();
    this.mode = 'spooling';
    this.startReplay();
  }

  private toSpoolSorted(): void {
    const pending = this.failed.concat(this.queue.slice(this.queueHead));
    pending.sort((a, b) => a.seq - b.seq);
    this.failed = [];
    this.queue = [];
    this.queueHead = 0;
    for (const it of pending) this.toSpool(it);
  }

  private toSpool(item: Item): void {
    if (this.spool.append(item)) {
      this.stats.spooled += 1;
      this.m.spooled.inc();
      this.m.spoolBytes.set(this.spool.bytes);
      if (item.done) {
        // The caller answers its sender after this: the record must be in the file, not in a buffer.
        this.spool.flush();
        item.done('spooled');
      }
      return;
    }
    this.stats.spoolDropped += 1;
    this.m.spoolDropped.inc();
    item.done?.('dropped');
    const now = Date.now();
    if (now - this.lastDropLog > 5000) {
      this.lastDropLog = now;
      this.log.error('spool full: dropping events', {
        dropped: this.stats.spoolDropped,
        spoolBytes: this.spool.bytes,
        hint: 'raise publisher.spoolMaxBytes or bring NATS back',
      });
    }
  }

  // ---- replay ------------------------------------------------------------------------------------

  private replayFailed = false;
  private replayPending = 0;
  private replayResolve: (() => void) | undefined;

  private checkReplayDone(): void {
    this.replayPending -= 1;
    if (this.replayPending <= 0 && this.replayResolve) this.replayResolve();
  }

  private startReplay(): void {
    if (this.replaying || this.closed) return;
    this.replaying = true;
    void this.replayLoop().finally(() => {
      this.replaying = false;
    });
  }

  private async replayLoop(): Promise<void> {
    let backoff = 100;
    while (!this.closed && this.mode === 'spooling') {
      if (this.nc.isClosed()) return;
      const seg = this.spool.nextSegment();
      if (!seg) {
        this.mode = 'live';
        this.m.spoolBytes.set(this.spool.bytes);
        this.log.info('spool drained; publishing live again', { replayed: this.stats.replayed });
        this.pump();
        for (const w of this.replayWaiters.splice(0)) w();
        return;
      }
      const ok = await this.replaySegment(seg.records);
      if (ok) {
        this.spool.release(seg.seq);
        this.m.spoolBytes.set(this.spool.bytes);
        backoff = 100;
      } else {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /** Publish one segment with the same window; true when every record was acknowledged. */
  private async replaySegment(records: SpoolRecord[]): Promise<boolean> {
    this.replayFailed = false;
    for (let i = 0; i < records.length && !this.replayFailed && !this.closed;) {
      const batchEnd = Math.min(records.length, i + this.cfg.maxInFlight);
      this.replayPending = batchEnd - i;
      const done = new Promise<void>((resolve) => (this.replayResolve = resolve));
      for (; i < batchEnd; i++) {
        const r = records[i] as SpoolRecord;
        this.send({ ...r, seq: ++this.seq, deadline: 0, replay: true });
      }
      await done;
      this.replayResolve = undefined;
    }
    return !this.replayFailed && !this.closed;
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect' && this.mode === 'live') this.enterSettling('disconnected');
      if (s.type === 'reconnect' && this.mode === 'spooling') this.startReplay();
    }
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  private wakeIdle(): void {
    this.countPublished();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Resolve when every record published so far is acknowledged by JetStream (spool drained included),
   * or when `timeoutMs` passes; returns whether everything was acknowledged.
   */
  async flush(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.countPublished();
      if (this.mode === 'live' && this.inFlight.size === 0 && this.queueHead >= this.queue.length)
        return true;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        if (this.mode === 'live') this.idleWaiters.push(() => (clearTimeout(t), resolve()));
        else this.replayWaiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return false;
  }

  /** Flush for up to `timeoutMs`, then spool whatever is left, so that a restart replays it. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.closed) return;
    await this.flush(timeoutMs);
    for (const it of this.inFlight.values()) if (!it.replay) this.failed.push(it);
    this.inFlight.clear();
    this.toSpoolSorted();
    this.closed = true;
    this.countPublished();
    clearInterval(this.timer);
    this.spool.close();
    this.sub.unsubscribe();
  }

  getStats(): PublisherStats {
    this.countPublished();
    return {
      mode: this.mode,
      queued: this.queue.length - this.queueHead,
      inFlight: this.inFlight.size,
      ...this.stats,
      spoolBytes: this.spool.bytes,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
