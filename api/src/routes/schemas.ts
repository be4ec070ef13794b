// Shared request and answer schemas. Query strings arrive as text: numbers are coerced, and every value
// is bounded so that no request can ask the store for an unbounded answer.
import { IDENTITY_SCOPES, INCIDENT_STATUSES } from '@sentinel/ingest';
import { z } from 'zod';

export const msTime = z.coerce
  .number()
  .int('must be an integer (ms since the Unix epoch)')
  .min(0, 'must be a time in ms since the Unix epoch')
  .max(8_640_000_000_000_000, 'is past the year 275760');

export const limit = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
export const severity = z.coerce.number().int().min(0).max(10);
export const scope = z.enum(IDENTITY_SCOPES);
export const identityValue = z.string().min(1).max(512);
export const cursor = z
  .string()
  .max(1024)
  .regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor this api issued');
export const status = z.enum(INCIDENT_STATUSES);
export const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.@-]+$/, 'must be 1–64 letters, digits, dot, dash, underscore or @');

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export const okSchema = z.object({ ok: z.literal(true) }).meta({ id: 'Ok' });

export const identityRef = z.object({ scope, value: z.string() });

export const actionSchema = z
  .object({
    v: z.literal(1),
    id: z.string(),
    ts: z.number(),
    action: z.string(),
    actor: z.string(),
    role: z.string(),
    target: z.string(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .meta({ id: 'AnalystAction' });

export const banDecisionSchema = z
  .object({
    v: z.literal(1),
    id: z.string(),
    ts: z.number(),
    action: z.enum(['ban', 'unban']),
    scope,
    value: z.string(),
    durationS: z.number(),
    until: z.number(),
    origin: z.string(),
    reason: z.string(),
    offense: z.number().optional(),
    incidentId: z.string().optional(),
    actor: z.string().optional(),
  })
  .meta({ id: 'BanDecision' });
