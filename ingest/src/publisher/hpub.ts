// JetStream publishes written as ready HPUB frames into nats.js's own outbound buffer.
//
// Why: nc.publish() with a Nats-Msg-Id header builds, per message, a headers object (a Map, an array, a
// validated and trimmed value), renders it to a string and encodes it, encodes the protocol line and the
// payload into two more arrays, queues four pieces, and later concatenates them into one buffer. On the
// 2-core machine that work and its garbage were about half of the publisher's CPU per event, CPU that
// nats-server needed (see docs/benchmarks.md, ingest). Here each frame is encoded once, straight into a
// large slab, and the frames of a whole batch go to nats.js as one chunk.
//
// How: the bytes are exactly what nc.publish(subject, data, { reply, headers: Nats-Msg-Id }) sends (the
// unit test compares them byte for byte with nats.js's own ProtocolHandler.publish), and they enter
// nats.js through ProtocolHandler.sendCommand(), the call its publish ends in, so flush scheduling,
// buffering while reconnecting and the socket writes all stay nats.js's. A slab is never written again
// once a part of it was handed over (nats.js may keep a view of it until the socket took it); a full slab
// is replaced by a new one.
//
// nats.js internals used (@nats-io/nats-core 3.x, NatsConnectionImpl.protocol: ProtocolHandler):
// `sendCommand(Uint8Array)`, `info` (`headers`, `max_payload`), `outMsgs`, `outBytes`,
// `noMorePublishing`. `natsInternalsUsable()` checks their shape when a writer is made; if it does not
// match, every publish takes the public nc.publish() path instead (same bytes, more CPU). The tests in
// test/unit/hpub.test.ts and test/integration/publisher-fast-path.test.ts fail when these internals
// change, so an upgrade of nats.js cannot silently change what goes on the wire.
import type { NatsConnection } from '@nats-io/nats-core';
import { headers as natsHeaders } from '@nats-io/nats-core';

/** The part of nats.js's ProtocolHandler this writer relies on. */
interface ProtocolInternals {
  sendCommand(cmd: Uint8Array): void;
  info?: { headers?: boolean; max_payload: number } | undefined;
  outMsgs: number;
  outBytes: number;
  noMorePublishing: boolean;
}

/** Slab size: about 450 event frames; frames over a quarter of it take the public path. */
const SLAB_BYTES = 256 * 1024;
const MAX_FAST_FRAME = SLAB_BYTES / 4;
/** Hand a batch to nats.js once this much is waiting, as nats.js flushes its own buffer at 32 KiB. */
const COMMIT_BYTES = 32 * 1024;
/** Ids that go into the header verbatim: printable ASCII, no space (ULIDs, UUIDs, ...). */
const PLAIN_ID = /^[\x21-\x7e]+$/;
/** What nats.js's publish refuses in a subject (its whitespace check). */
const BAD_SUBJECT = /[ \n\r\t]/;
const PLAIN_SUBJECT = /^[\x21-\x7e]+$/;
const HDR_START = Buffer.from('\r\nNATS/1.0\r\nNats-Msg-Id: ', 'latin1');
const HDR_END = Buffer.from('\r\n\r\n', 'latin1');
/** "NATS/1.0\r\n" + "Nats-Msg-Id: " + "\r\n\r\n": the header block's length besides the id. */
const HDR_FIXED = 27;
const MAX_SUBJECTS = 256;

/**
 * Buffer's own per-encoding writers, the ones buf.write(s, offset, encoding) dispatches to (Node has them on
 * Buffer.prototype since its first releases; calling them skips the encoding lookup per field).
 */
interface EncodingWriters {
  utf8Write(s: string, offset: number): number;
  latin1Write(s: string, offset: number): number;
}
const proto = Buffer.prototype as unknown as Partial<EncodingWriters>;
const writeUtf8: (buf: Buffer, s: string, at: number) => number =
  typeof proto.utf8Write === 'function'
    ? (buf, s, at) => (buf as unknown as EncodingWriters).utf8Write(s, at)
    : (buf, s, at) => buf.write(s, at, 'utf8');
const writeLatin1: (buf: Buffer, s: string, at: number) => number =
  typeof proto.latin1Write === 'function'
    ? (buf, s, at) => (buf as unknown as EncodingWriters).latin1Write(s, at)
    : (buf, s, at) => buf.write(s, at, 'latin1');

/** The nats.js internals the fast path needs, or undefined when their shape is not the expected one. */
export function natsInternalsUsable(nc: NatsConnection): ProtocolInternals | undefined {
  const p = (nc as unknown as { protocol?: Record<string, unknown> }).protocol;
  if (!p || typeof p !== 'object') return undefined;
  if (typeof p.sendCommand !== 'function') return undefined;
  if (typeof p.outMsgs !== 'number' || typeof p.outBytes !== 'number') return undefined;
  if (typeof p.noMorePublishing !== 'boolean') return undefined;
  if (!('info' in p)) return undefined;
  return p as unknown as ProtocolInternals;
}

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Write the decimal digits of a non-negative safe integer at `p`; returns the position after them. */
function writeUint(buf: Buffer, p: number, n: number): number {
  const end = p + digits(n);
  let i = end;
  do {
    const q = Math.floor(n / 10);
    buf[--i] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
  return end;
}

export class HpubWriter {
  private readonly proto: ProtocolInternals | undefined;
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  /** Start of the bytes not yet handed to nats.js, and the end of what is written. */
  private start = 0;
  private pos = 0;
  private commitQueued = false;
  /** "HPUB <subject> <replyPrefix>" per subject. */
  private readonly prefixes = new Map<string, Buffer>();

  /**
   * @param replyPrefix every publish's reply subject is `${replyPrefix}${seq}`.
   * @param allowInternals false forces the public nc.publish() path (for comparisons and tests).
   */
  constructor(
    private readonly nc: NatsConnection,
    private readonly replyPrefix: string,
    allowInternals = true,
  ) {
    const plainReply = PLAIN_SUBJECT.test(replyPrefix) && !BAD_SUBJECT.test(replyPrefix);
    this.proto = allowInternals && plainReply ? natsInternalsUsable(nc) : undefined;
  }

  /** Whether frames go straight into nats.js's outbound buffer (false: through nc.publish()). */
  get fast(): boolean {
    return this.proto !== undefined;
  }

  /**
   * Publish `data` on `subject` with the reply subject `${replyPrefix}${seq}` and `id` as Nats-Msg-Id.
   * Throws what nc.publish() throws (closed connection, bad subject, payload too large, bad header).
   * The frame reaches nats.js at the latest in a microtask; call commit() to hand it over now.
   */
  publish(subject: string, seq: number, id: string, data: string): void {
    const proto = this.proto;
    const info = proto?.info;
    if (
      proto === undefined ||
      info === undefined ||
      info.headers !== true ||
      proto.noMorePublishing ||
      this.nc.isClosed() ||
      !PLAIN_ID.test(id) ||
      data.length * 3 + id.length + 200 > MAX_FAST_FRAME
    ) {
      this.publishPublic(subject, seq, id, data);
      return;
    }
    const prefix = this.prefix(subject);
    if (prefix === undefined) {
      this.publishPublic(subject, seq, id, data);
      return;
    }
    if (this.pos + prefix.length + data.length * 3 + id.length + 100 > this.slab.length) this.newSlab();
    const hlen = HDR_FIXED + id.length;
    let tlen = hlen + data.length;
    let end = this.writeFrame(prefix, seq, id, data, hlen, tlen);
    if (end < 0) {
      // not all one-byte characters: the payload's UTF-8 length differs from its string length
      tlen = hlen + Buffer.byteLength(data, 'utf8');
      end = this.writeFrame(prefix, seq, id, data, hlen, tlen);
    }
    if (tlen > info.max_payload) {
      // nats.js refuses it with its own error; the frame written here is left out and overwritten
      this.publishPublic(subject, seq, id, data);
      return;
    }
    this.pos = end;
    proto.outBytes += tlen;
    proto.outMsgs += 1;
    if (this.pos - this.start >= COMMIT_BYTES) this.commit();
    else if (!this.commitQueued) {
      this.commitQueued = true;
      queueMicrotask(() => {
        try {
          this.commit();
        } catch {
          // nats.js could not take the frames (its connection is gone): their acks time out, and the
          // publisher spools those records, as it does for any publish lost with a connection
        }
      });
    }
  }

  /** Hand every frame written so far to nats.js (which writes it to the socket, or keeps it while away). */
  commit(): void {
    this.commitQueued = false;
    if (this.pos === this.start || this.proto === undefined) return;
    const chunk = this.slab.subarray(this.start, this.pos);
    this.start = this.pos;
    this.proto.sendCommand(chunk);
  }

  /**
   * Write one frame at `pos` with total payload length `tlen` (header block + data). Returns the end, or
   * -1 when the data's UTF-8 length is not `tlen - hlen` (the caller writes it again with the right one).
   */
  private writeFrame(
    prefix: Buffer,
    seq: number,
    id: string,
    data: string,
    hlen: number,
    tlen: number,
  ): number {
    const buf = this.slab;
    let p = this.pos;
    prefix.copy(buf, p);
    p += prefix.length;
    p = writeUint(buf, p, seq);
    buf[p++] = 32;
    p = writeUint(buf, p, hlen);
    buf[p++] = 32;
    p = writeUint(buf, p, tlen);
    HDR_START.copy(buf, p);
    p += HDR_START.length;
    p += writeLatin1(buf, id, p);
    HDR_END.copy(buf, p);
    p += HDR_END.length;
    const n = writeUtf8(buf, data, p);
    if (n !== tlen - hlen) return -1;
    p += n;
    buf[p++] = 13;
    buf[p++] = 10;
    return p;
  }

  private prefix(subject: string): Buffer | undefined {
    let pre = this.prefixes.get(subject);
    if (pre !== undefined) return pre;
    if (subject.length === 0 || BAD_SUBJECT.test(subject) || !PLAIN_SUBJECT.test(subject)) return undefined;
    pre = Buffer.from(`HPUB ${subject} ${this.replyPrefix}`, 'latin1');
    if (this.prefixes.size < MAX_SUBJECTS) this.prefixes.set(subject, pre);
    return pre;
  }

  private newSlab(): void {
    this.commit();
    this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    this.start = 0;
    this.pos = 0;
  }

  /** The public path, after everything written so far, so that frames keep their order. */
  private publishPublic(subject: string, seq: number, id: string, data: string): void {
    this.commit();
    const h = natsHeaders();
    h.set('Nats-Msg-Id', id);
    this.nc.publish(subject, data, { reply: `${this.replyPrefix}${seq}`, headers: h });
  }
}
