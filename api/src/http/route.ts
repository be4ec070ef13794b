// The shape of one route in the table. The same object drives the express router (validation, role
// check, handler) and the OpenAPI document (parameters, body, responses, security): they cannot drift.
import type { Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../auth/roles.ts';
import type { TokenRecord } from '../auth/tokens.ts';
import type { ApiDeps } from '../deps.ts';

export type Method = 'get' | 'post' | 'patch' | 'delete';

export interface Caller {
  token: TokenRecord;
  ip: string;
}

export interface Ctx<Q, P, B> {
  query: Q;
  params: P;
  body: B;
  caller: Caller;
  deps: ApiDeps;
  res: Response;
}

/** A handler's answer that is not JSON: a file download. */
export interface FileAnswer {
  kind: 'file';
  contentType: string;
  filename: string;
  body: Buffer | string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the table holds routes of every schema
type AnySchema = z.ZodType<any, any>;

export interface RouteDef<
  Q extends AnySchema = AnySchema,
  P extends AnySchema = AnySchema,
  B extends AnySchema = AnySchema,
> {
  method: Method;
  /** Express path below /api/v1, e.g. /incidents/:id. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Who may call it. Never empty: a test walks the table. */
  roles: readonly Role[];
  query?: Q;
  params?: P;
  body?: B;
  /** Schema of the 200/201 JSON answer (for the OpenAPI document). */
  response: AnySchema;
  /** 201 for creations. */
  status?: 200 | 201;
  /** Content types of a download instead of JSON. */
  produces?: readonly string[];
  handler(ctx: Ctx<z.output<Q>, z.output<P>, z.output<B>>): Promise<unknown>;
}

/** Keeps the handler's types tied to the route's schemas. */
export function route<Q extends AnySchema, P extends AnySchema, B extends AnySchema>(
  def: RouteDef<Q, P, B>,
): RouteDef {
  return def as unknown as RouteDef;
}

/** /incidents/:id -> /incidents/{id} */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
