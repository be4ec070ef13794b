// Event search and identity views.
import { DECISIONS, EVENT_KINDS } from '@sentinel/ingest';
import { strikeCounts, threatScores } from '@sentinel/analytics';
import { z } from 'zod';
import { READERS } from '../auth/roles.ts';
import { route } from '../http/route.ts';
import type { RouteDef } from '../http/route.ts';
import { identityDecisions, searchEvents } from '../store/events.ts';
import { queryIncidents } from '../store/incidents.ts';
import { incidentSchema } from './incidents.ts';
import { banDecisionSchema, cursor, identityValue, limit, msTime, scope, severity } from './schemas.ts';

export const eventSchema = z
  .object({
    id: z.string(),
    ts: z.number(),
    node: z.string(),
    kind: z.string(),
    decision: z.string(),
    reason: z.string(),
    severity: z.number(),
    clientId: z.string(),
    username: z.string(),
    ip: z.string(),
    certFingerprint: z.string(),
    transport: z.string(),
    packetType: z.string(),
    topic: z.string(),
    ruleId: z.string(),
    technique: z.string(),
    matched: z.string(),
    message: z.string(),
  })
  .meta({ id: 'Event' });

const eventsQuery = z
  .object({
    from: msTime.optional(),
    to: msTime.optional(),
    kind: z.enum(EVENT_KINDS).optional(),
    decision: z.enum(DECISIONS).optional(),
    reason: z
      .string()
      .regex(/^[a-z_]+\.[a-z_.]+$/, 'must be a reason code like auth.bad_credentials')
      .optional(),
    identity: identityValue.optional(),
    scope: scope.optional(),
    topic: z.string().min(1).max(65_535).optional(),
    minSeverity: severity.optional(),
    limit: limit(100, 1000),
    cursor: cursor.optional(),
  })
  .strict();

const identityParams = z.object({ scope, value: identityValue });
const identityQuery = z
  .object({
    from: msTime.optional(),
    to: msTime.optional(),
    points: z.coerce.number().int().min(2).max(48).default(12),
  })
  .strict();

export const eventRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/events',
    operationId: 'searchEvents',
    summary: 'Search decision events by time, kind, decision, reason, identity and topic',
    tag: 'events',
    roles: READERS,
    query: eventsQuery,
    response: z.object({ items: z.array(eventSchema), nextCursor: z.string().nullable() }),
    handler: ({ query, deps }) => searchEvents(deps.store, query),
  }),
  route({
    method: 'get',
    path: '/identities',
    operationId: 'listIdentities',
    summary: 'Identities with the highest threat score now',
    tag: 'identities',
    roles: READERS,
    query: z.object({ scope: scope.optional(), limit: limit(50, 500) }).strict(),
    response: z.object({
      items: z.array(z.object({ scope, identity: z.string(), score: z.number(), weight: z.number() })),
    }),
    async handler({ query, deps }) {
      const s = deps.analytics.score;
      const items = await threatScores(
        deps.store,
        { halfLifeS: s.halfLifeS, scale: s.scale, asOf: deps.now() },
        { limit: query.limit, ...(query.scope ? { scope: query.scope } : {}) },
      );
      return { items };
    },
  }),
  route({
    method: 'get',
    path: '/identities/:scope/:value',
    operationId: 'getIdentity',
    summary: 'One identity: threat score now and over time, strikes, bans, recent events, incidents',
    tag: 'identities',
    roles: READERS,
    params: identityParams,
    query: identityQuery,
    response: z.object({
      scope,
      value: z.string(),
      score: z.number(),
      scoreOverTime: z.array(z.object({ ts: z.number(), score: z.number() })),
      strikes: z.number(),
      banned: z.boolean(),
      bans: z.array(banDecisionSchema.partial()),
      recentEvents: z.array(eventSchema),
      incidents: z.array(incidentSchema),
    }),
    async handler({ params, query, deps }) {
      const now = deps.now();
      const to = query.to ?? now;
      const from = query.from ?? to - 24 * 3600_000;
      const s = deps.analytics.score;
      const filter = { scope: params.scope, identity: params.value, limit: 1 };
      const at = async (asOf: number): Promise<number> =>
        (await threatScores(deps.store, { halfLifeS: s.halfLifeS, scale: s.scale, asOf }, filter))[0]
          ?.score ?? 0;
      const step = (to - from) / (query.points - 1);
      const times = Array.from({ length: query.points }, (_, i) => Math.round(from + i * step));
      const scoreOverTime = [];
      for (const ts of times) scoreOverTime.push({ ts, score: await at(ts) });
      const [strikes] = await strikeCounts(deps.store, {
        windowS: deps.analytics.strikes.windowS,
        minSeverity: deps.analytics.strikes.minSeverity,
        asOf: now,
        scope: params.scope,
        identity: params.value,
      });
      const events = await searchEvents(deps.store, {
        identity: params.value,
        scope: params.scope === 'ip_range' ? undefined : params.scope,
        limit: 50,
      });
      const incidents = await queryIncidents(deps.store, {
        scope: params.scope,
        identity: params.value,
        sort: 'lastSeen',
        order: 'desc',
        limit: 50,
      });
      return {
        scope: params.scope,
        value: params.value,
        score: await at(now),
        scoreOverTime,
        strikes: strikes?.strikes ?? 0,
        banned: deps.decisions.isBanned(params.scope, params.value),
        bans: await identityDecisions(deps.store, params.scope, params.value),
        recentEvents: events.items,
        incidents: incidents.items,
      };
    },
  }),
];
