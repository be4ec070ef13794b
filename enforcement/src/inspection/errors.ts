// Typed errors of the inspection engine. A client's bad payload is never an error (it is a verdict); these
// are operator mistakes (a bad rule file, bad settings) and failures of the quarantine store.

export const InspectionErrorCode = {
  RuleFile: 'RULE_FILE',
  Config: 'INSPECTION_CONFIG',
  Quarantine: 'QUARANTINE',
} as const;
export type InspectionErrorCode = (typeof InspectionErrorCode)[keyof typeof InspectionErrorCode];

export class InspectionError extends Error {
  override name = 'InspectionError';
  readonly code: InspectionErrorCode;
  readonly context: Record<string, unknown>;
  constructor(
    code: InspectionErrorCode,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** A rule file that cannot be used. The message names the file, the rule (id and index) and the problem. */
export class RuleFileError extends InspectionError {
  override name = 'RuleFileError';
  readonly file: string;
  /** Id of the offending rule, when the problem is inside one rule. */
  readonly ruleId: string | undefined;
  readonly ruleIndex: number | undefined;
  readonly problem: string;
  constructor(
    file: string,
    problem: string,
    where: { ruleId?: string; ruleIndex?: number; cause?: unknown } = {},
  ) {
    const at =
      where.ruleIndex === undefined
        ? ''
        : ` rule ${where.ruleId ? `"${where.ruleId}" ` : ''}(rules[${where.ruleIndex}]):`;
    super(InspectionErrorCode.RuleFile, `rule file ${file}:${at} ${problem}`, {
      cause: where.cause,
      context: { file, ruleId: where.ruleId, ruleIndex: where.ruleIndex },
    });
    this.file = file;
    this.ruleId = where.ruleId;
    this.ruleIndex = where.ruleIndex;
    this.problem = problem;
  }
}

/** The quarantine store could not keep a message (NATS away, stream missing). */
export class QuarantineError extends InspectionError {
  override name = 'QuarantineError';
}
