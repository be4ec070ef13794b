// Bans: active ones from the bans bucket (what enforcement nodes follow), past ones from the store; create
// and lift through analytics' manual-ban path (allowlist, SENTINEL_DECISIONS, the bucket).
import { AllowlistedError, manualBan, manualUnban } from '@sentinel/analytics';
import { validateBanDecision } from '@sentinel/ingest';
import type { BanDecisionV1 } from '@sentinel/ingest';
import { z } from 'zod';
import { READERS, RESPONDERS } from '../auth/roles.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { route } from '../http/route.ts';
import type { RouteDef } from '../http/route.ts';
import type { ApiDeps } from '../deps.ts';
import { identityDecisions } from '../store/events.ts';
import { actionSchema, banDecisionSchema, identityValue, limit, scope } from './schemas.ts';

async function activeBans(deps: ApiDeps): Promise<BanDecisionV1[]> {
  const out: BanDecisionV1[] = [];
  const now = deps.now();
  for await (const key of await deps.bans.keys()) {
    const e = await deps.bans.get(key);
    if (!e || e.operation !== 'PUT') continue;
    const v = validateBanDecision(safeJson(e.value));
    if (v.ok && v.value.until > now) out.push(v.value);
  }
  return out.sort((a, b) => b.ts - a.ts);
}

const createBody = z
  .object({
    scope,
    value: identityValue,
    durationS: z
      .number()
      .int()
      .min(1)
      .max(365 * 86_400)
      .optional(),
    reason: z.string().min(1).max(256).default('manual'),
  })
  .strict();

export const banRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/bans',
    operationId: 'listBans',
    summary: 'Active bans (from the bans bucket) or past ban decisions (from the store)',
    tag: 'bans',
    roles: READERS,
    query: z
      .object({
        state: z.enum(['active', 'past']).default('active'),
        scope: scope.optional(),
        value: identityValue.optional(),
        limit: limit(100, 1000),
      })
      .strict(),
    response: z.object({ items: z.array(banDecisionSchema.partial()) }),
    async handler({ query, deps }) {
      if (query.state === 'past') {
        return {
          items: await identityDecisions(deps.store, query.scope ?? '', query.value ?? '', query.limit),
        };
      }
      const items = (await activeBans(deps)).filter(
        (b) => (!query.scope || b.scope === query.scope) && (!query.value || b.value === query.value),
      );
      return { items: items.slice(0, query.limit) };
    },
  }),
  route({
    method: 'post',
    path: '/bans',
    operationId: 'createBan',
    summary: 'Ban an identity on every enforcement node (refused for allowlisted identities)',
    tag: 'bans',
    roles: RESPONDERS,
    body: createBody,
    status: 201,
    response: z.object({ decision: banDecisionSchema, action: actionSchema }),
    async handler({ body, caller, deps }) {
      let decision: BanDecisionV1;
      try {
        decision = await manualBan(deps.decisions, {
          scope: body.scope,
          value: body.value,
          actor: caller.token.name,
          reason: body.reason,
          ...(body.durationS !== undefined ? { durationS: body.durationS } : {}),
        });
      } catch (err) {
        if (err instanceof AllowlistedError) {
          throw new ConflictError(`${body.scope} ${body.value} is on the allowlist and cannot be banned`);
        }
        throw err;
      }
      const action = deps.actions.record(caller.token, 'ban.create', `${body.scope}:${body.value}`, {
        durationS: decision.durationS,
        reason: body.reason,
        decision: decision.id,
      });
      return { decision, action };
    },
  }),
  route({
    method: 'delete',
    path: '/bans/:scope/:value',
    operationId: 'liftBan',
    summary: 'Lift the ban of an identity',
    tag: 'bans',
    roles: RESPONDERS,
    params: z.object({ scope, value: identityValue }),
    query: z.object({ reason: z.string().min(1).max(256).default('manual') }).strict(),
    response: z.object({ decision: banDecisionSchema, action: actionSchema }),
    async handler({ params, query, caller, deps }) {
      const decision = await manualUnban(deps.decisions, {
        scope: params.scope,
        value: params.value,
        actor: caller.token.name,
        reason: query.reason,
      });
      if (!decision) throw new NotFoundError(`active ban of ${params.scope} ${params.value}`);
      const action = deps.actions.record(caller.token, 'ban.lift', `${params.scope}:${params.value}`, {
        reason: query.reason,
        decision: decision.id,
      });
      return { decision, action };
    },
  }),
];

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
}
