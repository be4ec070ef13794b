// Quarantine review, MITRE ATT&CK coverage and the console's overview numbers.
import { MITRE_TECHNIQUES } from '@sentinel/ingest';
import { z } from 'zod';
import { READERS, RESPONDERS } from '../auth/roles.ts';
import { route } from '../http/route.ts';
import type { RouteDef } from '../http/route.ts';
import { quarantineRecordSchema } from '../quarantine.ts';
import { incidentsPerTechnique, overview } from '../store/overview.ts';
import { actionSchema, limit, msTime } from './schemas.ts';

const quarantinedSchema = z
  .object({ seq: z.number(), subject: z.string(), record: quarantineRecordSchema })
  .meta({ id: 'QuarantinedMessage' });
const seqParams = z.object({ seq: z.coerce.number().int().min(1) });

export const opsRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/quarantine',
    operationId: 'listQuarantine',
    summary: 'Messages held in SENTINEL_QUARANTINE, oldest first',
    tag: 'quarantine',
    roles: READERS,
    query: z.object({ after: z.coerce.number().int().min(0).default(0), limit: limit(50, 500) }).strict(),
    response: z.object({ items: z.array(quarantinedSchema), next: z.number().nullable() }),
    handler: ({ query, deps }) => deps.quarantine.list(query.after, query.limit),
  }),
  route({
    method: 'post',
    path: '/quarantine/:seq/release',
    operationId: 'releaseQuarantined',
    summary: 'Publish a quarantined message to the core broker as it arrived, then remove it',
    tag: 'quarantine',
    roles: RESPONDERS,
    params: seqParams,
    response: z.object({ released: quarantinedSchema, action: actionSchema }),
    async handler({ params, caller, deps }) {
      const m = await deps.quarantine.release(params.seq);
      const action = deps.actions.record(caller.token, 'quarantine.release', m.record.id, {
        seq: params.seq,
        topic: m.record.topic,
        clientId: m.record.clientId,
      });
      return { released: m, action };
    },
  }),
  route({
    method: 'post',
    path: '/quarantine/:seq/discard',
    operationId: 'discardQuarantined',
    summary: 'Remove a quarantined message without delivering it',
    tag: 'quarantine',
    roles: RESPONDERS,
    params: seqParams,
    response: z.object({ discarded: quarantinedSchema, action: actionSchema }),
    async handler({ params, caller, deps }) {
      const m = await deps.quarantine.discard(params.seq);
      const action = deps.actions.record(caller.token, 'quarantine.discard', m.record.id, {
        seq: params.seq,
        topic: m.record.topic,
        clientId: m.record.clientId,
      });
      return { discarded: m, action };
    },
  }),
  route({
    method: 'get',
    path: '/mitre/coverage',
    operationId: 'mitreCoverage',
    summary: 'Which ATT&CK techniques the detection rules cover, and incidents per technique in a range',
    tag: 'mitre',
    roles: READERS,
    query: z.object({ from: msTime.optional(), to: msTime.optional() }).strict(),
    response: z.object({
      from: z.number(),
      to: z.number(),
      techniques: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          tactic: z.string(),
          matrix: z.string(),
          covered: z.boolean(),
          rules: z.array(z.string()),
          incidents: z.number(),
        }),
      ),
    }),
    async handler({ query, deps }) {
      const to = query.to ?? deps.now();
      const from = query.from ?? to - 30 * 86_400_000;
      const counts = await incidentsPerTechnique(deps.store, from, to);
      const techniques = Object.values(MITRE_TECHNIQUES).map((t) => {
        const rules = deps.rules
          .filter((r) => r.technique === t.id || r.related.includes(t.id))
          .map((r) => r.id);
        return { ...t, covered: rules.length > 0, rules, incidents: counts.get(t.id) ?? 0 };
      });
      return { from, to, techniques };
    },
  }),
  route({
    method: 'get',
    path: '/overview',
    operationId: 'overview',
    summary: 'Connections, events per second, open incidents by severity, top topics and offenders',
    tag: 'overview',
    roles: READERS,
    query: z.object({ windowS: z.coerce.number().int().min(10).max(86_400).default(300) }).strict(),
    response: z.object({
      windowS: z.number(),
      connections: z.number(),
      connectionsRefused: z.number(),
      events: z.number(),
      eventsPerSecond: z.number(),
      openIncidentsBySeverity: z.array(z.object({ severity: z.number(), count: z.number() })),
      topAttackedTopics: z.array(z.object({ topic: z.string(), events: z.number() })),
      topOffenders: z.array(z.object({ scope: z.string(), identity: z.string(), strikes: z.number() })),
    }),
    handler: ({ query, deps }) => overview(deps.store, deps.now(), query.windowS),
  }),
];
