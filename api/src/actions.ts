// Every write through the api becomes an AnalystActionV1 on SENTINEL_ACTIONS (sentinel.actions.<action>):
// the audit trail is part of the log, and analytics derives incident status from it. The actor is the
// token's name, never the token.
import { SUBJECTS, ulid } from '@sentinel/ingest';
import type { ActionType, AnalystActionV1, EventPublisher, RuleValue } from '@sentinel/ingest';
import type { TokenRecord } from './auth/tokens.ts';

export class ActionRecorder {
  constructor(
    private readonly publisher: EventPublisher,
    private readonly now: () => number = Date.now,
  ) {}

  record(
    by: TokenRecord,
    action: ActionType,
    target: string,
    details: Record<string, RuleValue | undefined> = {},
  ): AnalystActionV1 {
    const ts = this.now();
    const clean = Object.fromEntries(
      Object.entries(details).filter((e): e is [string, RuleValue] => e[1] !== undefined),
    );
    const a: AnalystActionV1 = {
      v: 1,
      id: ulid(ts),
      ts,
      action,
      actor: by.name,
      role: by.role,
      target,
      ...(Object.keys(clean).length > 0 ? { details: clean } : {}),
    };
    this.publisher.publishRecord(`${SUBJECTS.actions}.${action}`, a);
    return a;
  }

  /** Resolves true once every recorded action is acknowledged by JetStream (or spooled). */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.publisher.flush(timeoutMs);
  }
}
