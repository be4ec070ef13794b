// The one interface every sink implements. A sink only moves bytes: retries, metrics, filters and
// dead-lettering live once in the delivery runner (delivery/runner.ts).
import type { Logger } from '@sentinel/ingest';
import type { SinkConfigOf, SinkKind } from '../config.ts';

/** One formatted record, ready for a transport. */
export interface Encoded {
  /** Record id (ULID). */
  id: string;
  /** Record time, ms since the epoch. */
  ts: number;
  /** Partition key: the identity (client id, else IP) the record is about. */
  key: string;
  /** The formatted record (one line, no trailing newline). */
  text: string;
  /** True when `text` is a JSON document (json, ocsf) that HTTP sinks can embed as is. */
  json: boolean;
}

export interface Sink {
  /**
   * Hand a batch on, in order. Resolves once the transport accepted every record — for transports with
   * a connectionEpoch, with the epoch of the connection the batch was written to; rejects with an
   * ExportError: Unavailable (retry later, keep the records) or Rejected/Unencodable (these records).
   * `expectEpoch`: write only to that connection, else reject with Stale without writing anything.
   */
  send(batch: readonly Encoded[], expectEpoch?: number): Promise<number | void>;
  /**
   * Only for transports without an application-level acknowledgement (syslog over TCP/TLS): a number
   * that changes whenever the connection was lost. Records written under an older number that were not
   * yet confirmed are sent again.
   */
  connectionEpoch?(): number;
  /**
   * Byte-stream transports (syslog over TCP/TLS), with sendFramed: a framer that turns records into the
   * bytes send() would write, one record at a time as they are encoded. The runner keeps those bytes
   * instead of every record's text until the batch is confirmed (a fraction of the live memory).
   */
  framer?(): BatchFramer;
  /** send() for a batch already framed by framer(): same bytes, same epochs, same errors. */
  sendFramed?(bytes: Buffer, expectEpoch?: number): Promise<number>;
  close(): Promise<void>;
}

export interface BatchFramer {
  add(text: string): void;
  /** The bytes of the records added since the last take(), in order. */
  take(): Buffer;
}

export interface SinkContext {
  log: Logger;
  /** Counts records cut to fit a transport's size limit. */
  onTruncated?: (n: number) => void;
}

export type SinkFactory<K extends SinkKind> = (cfg: SinkConfigOf<K>, ctx: SinkContext) => Promise<Sink>;
