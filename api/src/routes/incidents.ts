// Incidents: list with filters, sort and cursor pages; detail with its timeline; triage (status,
// assignee, notes) recorded as analyst actions, from which analytics derives the incident's status.
import { z } from 'zod';
import type { ActionType, AnalystActionV1 } from '@sentinel/ingest';
import { READERS, TRIAGE } from '../auth/roles.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { route } from '../http/route.ts';
import type { RouteDef } from '../http/route.ts';
import { INCIDENT_SORTS, getIncident, incidentTimeline, queryIncidents } from '../store/incidents.ts';
import { actionSchema, cursor, identityValue, limit, msTime, scope, severity, status } from './schemas.ts';

export const incidentSchema = z
  .object({
    incidentId: z.string(),
    rule: z.string(),
    title: z.string(),
    severity: z.number(),
    status,
    assignee: z.string(),
    technique: z.string(),
    tactic: z.string(),
    scope,
    identity: z.string(),
    firstSeen: z.number(),
    lastSeen: z.number(),
    eventCount: z.number(),
    eventIds: z.array(z.string()),
    remediation: z.string(),
  })
  .meta({ id: 'Incident' });

const listQuery = z
  .object({
    from: msTime.optional(),
    to: msTime.optional(),
    minSeverity: severity.optional(),
    maxSeverity: severity.optional(),
    status: status.optional(),
    technique: z
      .string()
      .regex(/^T\d{4}(\.\d{3})?$/, 'must be a MITRE technique id like T1110')
      .optional(),
    tactic: z.string().min(1).max(64).optional(),
    scope: scope.optional(),
    identity: identityValue.optional(),
    rule: z.string().min(1).max(128).optional(),
    sort: z.enum(INCIDENT_SORTS).default('lastSeen'),
    order: z.enum(['asc', 'desc']).default('desc'),
    limit: limit(50, 500),
    cursor: cursor.optional(),
  })
  .strict();

const idParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'is not an incident id'),
});

const patchBody = z
  .object({
    status: status.optional(),
    assignee: z.string().max(128).optional(),
    notes: z.string().min(1).max(4000).optional(),
  })
  .strict()
  .refine((b) => b.status !== undefined || b.assignee !== undefined || b.notes !== undefined, {
    message: 'give at least one of status, assignee, notes',
  });

const STATUS_ACTION: Record<string, ActionType> = {
  acknowledged: 'incident.acknowledge',
  resolved: 'incident.resolve',
  new: 'incident.reopen',
};

export const incidentRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/incidents',
    operationId: 'listIncidents',
    summary: 'List incidents with filters, sort and cursor pagination',
    tag: 'incidents',
    roles: READERS,
    query: listQuery,
    response: z.object({ items: z.array(incidentSchema), nextCursor: z.string().nullable() }),
    async handler({ query, deps }) {
      if (
        query.minSeverity !== undefined &&
        query.maxSeverity !== undefined &&
        query.minSeverity > query.maxSeverity
      ) {
        throw new ValidationError([{ field: 'query.minSeverity', reason: 'must not exceed maxSeverity' }]);
      }
      return queryIncidents(deps.store, query);
    },
  }),
  route({
    method: 'get',
    path: '/incidents/:id',
    operationId: 'getIncident',
    summary: 'One incident with the timeline of its events, updates and analyst actions',
    tag: 'incidents',
    roles: READERS,
    params: idParams,
    response: z.object({
      incident: incidentSchema,
      timeline: z.array(
        z.object({
          ts: z.number(),
          type: z.enum(['event', 'update', 'action']),
          id: z.string(),
          summary: z.string(),
          actor: z.string().optional(),
          status: z.string().optional(),
          severity: z.number().optional(),
          reason: z.string().optional(),
        }),
      ),
    }),
    async handler({ params, deps }) {
      const incident = await getIncident(deps.store, params.id);
      if (!incident) throw new NotFoundError(`incident ${params.id}`);
      return { incident, timeline: await incidentTimeline(deps.store, params.id, incident.eventIds) };
    },
  }),
  route({
    method: 'patch',
    path: '/incidents/:id',
    operationId: 'updateIncident',
    summary: 'Acknowledge, resolve, reopen, assign or annotate an incident (each change is an action event)',
    tag: 'incidents',
    roles: TRIAGE,
    params: idParams,
    body: patchBody,
    response: z.object({
      incidentId: z.string(),
      status,
      assignee: z.string(),
      actions: z.array(actionSchema),
    }),
    async handler({ params, body, caller, deps }) {
      const incident = await getIncident(deps.store, params.id);
      if (!incident) throw new NotFoundError(`incident ${params.id}`);
      const actions: AnalystActionV1[] = [];
      if (body.assignee !== undefined) {
        actions.push(
          deps.actions.record(caller.token, 'incident.assign', params.id, { assignee: body.assignee }),
        );
      }
      if (body.notes !== undefined) {
        actions.push(
          deps.actions.record(caller.token, 'incident.comment', params.id, { comment: body.notes }),
        );
      }
      if (body.status !== undefined && body.status !== incident.status) {
        const action = STATUS_ACTION[body.status] as ActionType;
        actions.push(deps.actions.record(caller.token, action, params.id, { from: incident.status }));
      }
      await deps.actions.flush(5000);
      return {
        incidentId: params.id,
        status: body.status ?? incident.status,
        assignee: body.assignee ?? incident.assignee,
        actions,
      };
    },
  }),
];
