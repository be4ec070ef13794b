// The publisher's disk spool: an ordered list of segment files, each holding records as lines of
// `subject \t id \t payload-json \n`. Appends are buffered and written in batches; a segment is deleted
// only after JetStream acknowledged every record in it. A torn last line (process killed mid-write) is
// skipped on read and counted: that record was never fully written, so it was never acknowledged to anyone.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { IngestError, IngestErrorCode } from '../errors.ts';

export interface SpoolRecord {
  subject: string;
  id: string;
  data: string;
}

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  /** Flush buffered appends at least this often, ms. */
  flushIntervalMs?: number;
}

const SUFFIX = '.spool';
const FLUSH_BUFFER_BYTES = 256 * 1024;

export class DiskSpool {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly flushIntervalMs: number;
  /** Closed segments, oldest first. */
  private readonly closed: number[] = [];
  private activeSeq = 0;
  private activeFd: number | undefined;
  private activeBytes = 0;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private totalBytes = 0;
  private readonly lockPath: string;
  /** Torn lines seen while reading; see the header comment. */
  tornLines = 0;

  constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = opts.segmentBytes;
    this.flushIntervalMs = opts.flushIntervalMs ?? 20;
    mkdirSync(this.dir, { recursive: true });
    this.lockPath = join(this.dir, 'LOCK');
    this.takeLock();
    const seqs = readdirSync(this.dir)
      .filter((f) => f.endsWith(SUFFIX))
      .map((f) => Number.parseInt(f, 10))
      .filter((n) => Number.isFinite(n))
      .sort((a, b) => a - b);
    for (const s of seqs) {
      const size = statSync(this.segPath(s)).size;
      if (size === 0) unlinkSync(this.segPath(s));
      else {
        this.closed.push(s);
        this.totalBytes += size;
      }
    }
    this.activeSeq = (seqs[seqs.length - 1] ?? 0) + 1;
  }

  private takeLock(): void {
    if (existsSync(this.lockPath)) {
      const pid = Number.parseInt(readFileSync(this.lockPath, 'utf8'), 10);
      if (Number.isFinite(pid) && pid !== process.pid && isAlive(pid)) {
        throw new IngestError(IngestErrorCode.SpoolCorrupt, `spool ${this.dir} is in use by process ${pid}`, {
          context: { hint: 'give each publisher its own name, or stop the other process' },
        });
      }
    }
    writeFileSync(this.lockPath, String(process.pid));
  }

  private segPath(seq: number): string {
    return join(this.dir, String(seq).padStart(12, '0') + SUFFIX);
  }

  /** Bytes on disk plus bytes buffered. */
  get bytes(): number {
    return this.totalBytes + this.bufferBytes;
  }

  /** True when no record is waiting anywhere in the spool. */
  get empty(): boolean {
    return this.closed.length === 0 && this.activeBytes === 0 && this.bufferBytes === 0;
  }

  /** Append a record; false if the spool is full (the caller counts and logs the drop). */
  append(rec: SpoolRecord): boolean {
    const line = `${rec.subject}\t${rec.id}\t${rec.data}\n`;
    const len = Buffer.byteLength(line);
    if (this.totalBytes + this.bufferBytes + len > this.maxBytes) return false;
    this.buffer.push(line);
    this.bufferBytes += len;
    if (this.bufferBytes >= FLUSH_BUFFER_BYTES) this.flush();
    else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.flushIntervalMs);
      this.flushTimer.unref();
    }
    return true;
  }

  /** Write buffered appends to the active segment, rotating it when full. */
  flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (this.bufferBytes === 0) return;
    if (this.activeFd === undefined) this.activeFd = openSync(this.segPath(this.activeSeq), 'a');
    const chunk = this.buffer.join('');
    writeSync(this.activeFd, chunk);
    this.activeBytes += this.bufferBytes;
    this.totalBytes += this.bufferBytes;
    this.buffer = [];
    this.bufferBytes = 0;
    if (this.activeBytes >= this.segmentBytes) this.rotate();
  }

  /** Close the active segment so it can be replayed. */
  private rotate(): void {
    if (this.activeFd === undefined) return;
    fsyncSync(this.activeFd);
    closeSync(this.activeFd);
    this.activeFd = undefined;
    if (this.activeBytes > 0) this.closed.push(this.activeSeq);
    else unlinkSync(this.segPath(this.activeSeq));
    this.activeSeq += 1;
    this.activeBytes = 0;
  }

  /**
   * The oldest segment ready for replay, with its records. Seals the active segment if there are no
   * closed ones, so that a replayer always makes progress. Undefined when the spool is empty.
   */
  nextSegment(): { seq: number; records: SpoolRecord[] } | undefined {
    if (this.closed.length === 0) {
      this.flush();
      this.rotate();
    }
    const seq = this.closed[0];
    if (seq === undefined) return undefined;
    const text = readFileSync(this.segPath(seq), 'utf8');
    const records: SpoolRecord[] = [];
    let start = 0;
    while (start < text.length) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) {
        this.tornLines += 1;
        break;
      }
      const line = text.slice(start, nl);
      start = nl + 1;
      const t1 = line.indexOf('\t');
      const t2 = t1 < 0 ? -1 : line.indexOf('\t', t1 + 1);
      if (t1 <= 0 || t2 <= t1) {
        this.tornLines += 1;
        continue;
      }
      records.push({ subject: line.slice(0, t1), id: line.slice(t1 + 1, t2), data: line.slice(t2 + 1) });
    }
    return { seq, records };
  }

  /** Every record of the segment was acknowledged: delete it. */
  release(seq: number): void {
    const i = this.closed.indexOf(seq);
    if (i < 0) return;
    this.closed.splice(i, 1);
    const p = this.segPath(seq);
    try {
      this.totalBytes -= statSync(p).size;
      unlinkSync(p);
    } catch {
      // already gone
    }
  }

  close(): void {
    this.flush();
    if (this.activeFd !== undefined) {
      fsyncSync(this.activeFd);
      closeSync(this.activeFd);
      this.activeFd = undefined;
      if (this.activeBytes === 0) rmSync(this.segPath(this.activeSeq), { force: true });
    }
    rmSync(this.lockPath, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
