// The two numbers a consumer needs from each JetStream message, read straight from its reply subject.
// The client's own parser (JsMsg.info) splits the subject into a dozen strings and builds an object per
// message; at tens of thousands of messages per second that was a visible share of the consumer's time.
//
// Reply subjects: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending> (9 tokens) or
// $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<token>] (11+).

export interface Delivery {
  /** How many times JetStream delivered this message (1 = first delivery). */
  deliveryCount: number;
  /** Stream sequence. */
  streamSequence: number;
}

const DOT = 46;

/** Undefined when the subject is not a JetStream ack subject (the caller falls back to JsMsg.info). */
export function parseDelivery(reply: string): Delivery | undefined {
  if (!reply.startsWith('$JS.ACK.')) return undefined;
  // the positions of the first 12 dots; stream and consumer names never contain a dot
  const dots: number[] = [];
  for (let i = 0; i < reply.length && dots.length < 12; i++) if (reply.charCodeAt(i) === DOT) dots.push(i);
  const tokens = dots.length + 1;
  let first: number;
  if (tokens === 9) first = 4;
  else if (tokens >= 11) first = 6;
  else return undefined;
  const deliveryCount = intToken(reply, dots, first);
  const streamSequence = intToken(reply, dots, first + 1);
  if (deliveryCount === undefined || streamSequence === undefined) return undefined;
  return { deliveryCount, streamSequence };
}

function intToken(s: string, dots: number[], index: number): number | undefined {
  const start = (dots[index - 1] ?? -1) + 1;
  const end = dots[index] ?? s.length;
  if (end <= start || end - start > 15) return undefined;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n;
}
