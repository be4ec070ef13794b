// Building an event on the hot path: fills the envelope and the reason's defaults, no validation.
import { REASONS } from './reasons.ts';
import type { ReasonCode } from './reasons.ts';
import { ulid } from './ulid.ts';
import type { DecisionEventV1 } from './v1.ts';

export type EventInit = Omit<
  DecisionEventV1,
  'v' | 'id' | 'ts' | 'kind' | 'decision' | 'severity' | 'reason'
> & {
  reason: ReasonCode;
  decision?: DecisionEventV1['decision'];
  severity?: number;
  ts?: number;
};

export function makeEvent(init: EventInit): DecisionEventV1 {
  const info = REASONS[init.reason];
  const ts = init.ts ?? Date.now();
  const ev: DecisionEventV1 = {
    v: 1,
    id: ulid(ts),
    ts,
    node: init.node,
    kind: info.kind,
    decision: init.decision ?? info.decision,
    reason: init.reason,
    severity: init.severity ?? info.severity,
    subject: init.subject,
  };
  if (init.mqtt) ev.mqtt = init.mqtt;
  if (init.rule) ev.rule = init.rule;
  else if ('technique' in info) ev.rule = { id: init.reason, technique: info.technique };
  if (init.message) ev.message = init.message;
  return ev;
}
