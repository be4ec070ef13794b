// A protocol violation: the reason code (which fixes the event kind and severity), the spec clause that
// the input broke, and a short detail safe to put into an event (never a payload or a secret).
import type { ReasonCode } from '@sentinel/ingest';

export interface Violation {
  reason: ReasonCode;
  /** The spec clause, e.g. `MQTT-3.1.0-1`, or a Sentinel rule id such as `sentinel.max_packet_size`. */
  clause: string;
  detail?: string;
  /** The 5.0 DISCONNECT reason when the clause names one other than the reason's default. */
  code?: number;
}

/** Thrown inside the decoder only; decodePacket() turns it into a returned Violation. */
export class ViolationSignal {
  constructor(readonly violation: Violation) {}
}

export function violate(reason: ReasonCode, clause: string, detail?: string): never {
  throw new ViolationSignal(detail === undefined ? { reason, clause } : { reason, clause, detail });
}
