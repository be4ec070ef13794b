// Opaque cursors: base64url JSON of the sort key, order and last id of a page. Decoding validates the
// shape, and a cursor made for another sort is refused, so a client cannot page with a mismatched key.
import { z } from 'zod';
import { ValidationError } from '../errors.ts';

const cursorSchema = z.object({ s: z.string(), o: z.enum(['asc', 'desc']), k: z.number(), id: z.string() });
export type Cursor = z.output<typeof cursorSchema>;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

export function decodeCursor(text: string, sort: string, order: 'asc' | 'desc'): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const r = cursorSchema.safeParse(parsed);
  if (!r.success)
    throw new ValidationError([{ field: 'query.cursor', reason: 'is not a cursor this api issued' }]);
  if (r.data.s !== sort || r.data.o !== order) {
    throw new ValidationError([
      { field: 'query.cursor', reason: `was issued for sort ${r.data.s} ${r.data.o}, not ${sort} ${order}` },
    ]);
  }
  return r.data;
}
