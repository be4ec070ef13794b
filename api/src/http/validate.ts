// zod issues -> one 400 naming each field (`query.severity`, `body.durationS`) and why.
import type { z } from 'zod';
import { ValidationError } from '../errors.ts';
import type { FieldIssue } from '../errors.ts';

export type Where = 'query' | 'params' | 'body';

export function issuesOf(where: Where, error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({
    field: [where, ...i.path.map(String)].join('.'),
    reason: i.message,
  }));
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: Where): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ValidationError(issuesOf(where, r.error));
  return r.data;
}
