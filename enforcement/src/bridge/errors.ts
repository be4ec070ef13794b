// Typed errors of the bridge. A bad mapping rule is found at config parse and names the rule; a
// destination that refuses a message (PUBACK reason code >= 0x80) is a DeliveryRejected, not a retry.

export const BridgeErrorCode = {
  Rule: 'BRIDGE_RULE',
  Loop: 'BRIDGE_LOOP',
  Tls: 'BRIDGE_TLS',
  Rejected: 'BRIDGE_REJECTED',
  Closed: 'BRIDGE_CLOSED',
} as const;
export type BridgeErrorCode = (typeof BridgeErrorCode)[keyof typeof BridgeErrorCode];

export class BridgeError extends Error {
  override name = 'BridgeError';
  readonly code: BridgeErrorCode;
  readonly context: Record<string, unknown>;
  constructor(
    code: BridgeErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** A mapping rule that cannot work: names the rule by its index and its text. */
export class BridgeRuleError extends BridgeError {
  override name = 'BridgeRuleError';
  constructor(
    readonly index: number,
    rule: string,
    problem: string,
  ) {
    super(BridgeErrorCode.Rule, `rule ${index} (${rule}): ${problem}`, { context: { index, rule } });
  }
}

/** The destination broker answered a PUBLISH with a failure reason code: retrying would not help. */
export class DeliveryRejectedError extends BridgeError {
  override name = 'DeliveryRejectedError';
  constructor(
    readonly reasonCode: number,
    topic: string,
  ) {
    super(
      BridgeErrorCode.Rejected,
      `destination refused ${topic} with reason code 0x${reasonCode.toString(16)}`,
      {
        context: { reasonCode, topic },
      },
    );
  }
}
