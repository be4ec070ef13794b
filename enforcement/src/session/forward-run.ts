// Packets forwarded unchanged leave as the bytes that arrived. Consecutive ones that lie side by side in
// the same buffer (whole packets framed out of one read chunk) are merged into one slice, so a chunk of N
// allowed PUBLISHes costs one socket write of one buffer instead of N buffered writes gathered by writev.
// No sockets here: the session writes what `push` and `take` hand back, in that order.

export class ForwardRun {
  private src: Buffer | undefined;
  private start = 0;
  private end = 0;

  /**
   * Add bytes `start`..`end` of `src` to the run. When they do not continue it (another buffer, or a gap),
   * the finished run is returned for the caller to write first, and these bytes start the next one.
   */
  push(src: Buffer, start: number, end: number): Buffer | undefined {
    if (src === this.src && start === this.end) {
      this.end = end;
      return undefined;
    }
    const done = this.take();
    this.src = src;
    this.start = start;
    this.end = end;
    return done;
  }

  /** The run so far as one buffer (`src` itself when the run is all of it), and start empty. */
  take(): Buffer | undefined {
    const src = this.src;
    if (src === undefined) return undefined;
    this.src = undefined;
    return this.start === 0 && this.end === src.length ? src : src.subarray(this.start, this.end);
  }
}
