// Files: one record per line (NDJSON with the json or ocsf formats), appended to `path`. The file is
// rotated when it reaches maxBytes or maxAgeS: renamed to <path>.<UTC time>.<n> and a new one started;
// only the newest maxFiles rotated files are kept.
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SinkConfigOf } from '../config.ts';
import { ExportError, ExportErrorCode } from '../errors.ts';
import type { Encoded, Sink, SinkFactory } from './types.ts';

function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export class RotatingFile {
  private fh: FileHandle | undefined;
  private size = 0;
  private openedAt = 0;
  private rotations = 0;

  constructor(
    private readonly cfg: Pick<SinkConfigOf<'file'>, 'path' | 'maxBytes' | 'maxAgeS' | 'maxFiles'>,
    private readonly now: () => number = Date.now,
  ) {}

  async append(data: string): Promise<void> {
    const bytes = Buffer.byteLength(data, 'utf8');
    const fh = await this.handle();
    const tooOld = this.cfg.maxAgeS > 0 && this.now() - this.openedAt >= this.cfg.maxAgeS * 1000;
    if (this.size > 0 && (this.size + bytes > this.cfg.maxBytes || tooOld)) {
      await this.rotate();
      return this.append(data);
    }
    await fh.appendFile(data, 'utf8');
    this.size += bytes;
  }

  private async handle(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    await mkdir(dirname(this.cfg.path), { recursive: true });
    this.fh = await open(this.cfg.path, 'a');
    const st = await stat(this.cfg.path);
    this.size = st.size;
    // A file left by an earlier run ages from its creation, not from this start.
    this.openedAt = st.size > 0 ? Math.min(st.birthtimeMs || st.mtimeMs, this.now()) : this.now();
    return this.fh;
  }

  async rotate(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    const target = `${this.cfg.path}.${stamp(this.now())}.${++this.rotations}`;
    await rename(this.cfg.path, target);
    await this.prune();
  }

  /** Rotated files of this sink, oldest first. */
  async rotated(): Promise<string[]> {
    const dir = dirname(this.cfg.path);
    const base = basename(this.cfg.path) + '.';
    const names = (await readdir(dir)).filter((n) => n.startsWith(base));
    const withTime = await Promise.all(
      names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })),
    );
    return withTime.sort((a, b) => a.t - b.t || a.n.localeCompare(b.n)).map((x) => join(dir, x.n));
  }

  private async prune(): Promise<void> {
    const files = await this.rotated();
    for (const f of files.slice(0, Math.max(0, files.length - this.cfg.maxFiles))) await unlink(f);
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }
}

export const createFileSink: SinkFactory<'file'> = async (cfg) => {
  const file = new RotatingFile(cfg);
  const sink: Sink = {
    async send(batch: readonly Encoded[]) {
      let data = '';
      for (const e of batch) data += e.text + '\n';
      try {
        await file.append(data);
      } catch (err) {
        // A full disk or a permission problem: keep the records and retry.
        throw new ExportError(ExportErrorCode.Unavailable, `file ${cfg.path}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
    close: () => file.close(),
  };
  return sink;
};
