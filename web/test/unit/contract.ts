// The console's side of its contract with the api, as data the compiler checks against the console's
// types, and a checker that compares that data with the api's OpenAPI document (built from its zod
// schemas). `Spec<T>` must name every field of T with its kind, so a field added to a console type must be
// added to its spec, and the spec is what the document is checked against.

/** A runtime description of a console type T. */
export type Spec<T> = null extends T
  ? { nullable: Spec<NonNullable<T>> }
  : [T] extends [readonly (infer E)[]]
    ? { items: Spec<E> }
    : [T] extends [boolean]
      ? 'boolean'
      : [T] extends [string]
        ? string extends T
          ? 'string'
          : { enum: Record<T, true> }
        : [T] extends [number]
          ? number extends T
            ? 'number'
            : { enum: Record<T, true> }
          : [T] extends [object]
            ? [keyof Fields<T>] extends [never]
              ? 'record'
              : { fields: Fields<T> }
            : never;

/** Every named field of T (index signatures of loose records are left out), optional ones marked. */
export type Fields<T> = {
  [K in keyof T as string extends K ? never : K]-?: undefined extends T[K]
    ? { optional: Spec<Exclude<T[K], undefined>> }
    : Spec<T[K]>;
};

/** `{ enum: ... }` from one of the console's value lists (whose completeness `tsc` already checks). */
export function oneOf<const V extends string | number>(values: readonly V[]): { enum: Record<V, true> } {
  return { enum: Object.fromEntries(values.map((v) => [v, true])) as Record<V, true> };
}

type AnySpec =
  | 'string'
  | 'number'
  | 'boolean'
  | 'record'
  | { nullable: AnySpec }
  | { items: AnySpec }
  | { enum: Record<string, true> }
  | { fields: Record<string, AnySpec | { optional: AnySpec }> };

type Json = Record<string, unknown>;

/** Which way data flows: the api answers (response) or the console sends (request). */
export type Direction = 'response' | 'request';

export class SchemaReader {
  constructor(private readonly doc: Json) {}

  private resolve(s: Json): Json {
    let cur = s;
    for (let hops = 0; typeof cur.$ref === 'string'; hops++) {
      if (hops > 10) throw new Error(`$ref loop at ${String(cur.$ref)}`);
      const name = cur.$ref.replace('#/components/schemas/', '');
      const target = ((this.doc.components as Json).schemas as Json)[name];
      if (!target) throw new Error(`unresolved $ref ${cur.$ref}`);
      cur = target as Json;
    }
    return cur;
  }

  /** The alternatives a schema allows: anyOf/oneOf flattened, `type: [a, b]` split, $refs followed. */
  variants(s: Json): Json[] {
    const r = this.resolve(s);
    const alts = (r.anyOf ?? r.oneOf) as Json[] | undefined;
    if (alts) return alts.flatMap((a) => this.variants(a));
    if (Array.isArray(r.type)) return (r.type as string[]).map((t) => ({ ...r, type: t }));
    return [r];
  }

  operation(method: string, path: string): Json | undefined {
    return ((this.doc.paths as Json)[`/api/v1${path}`] as Json | undefined)?.[method.toLowerCase()] as
      Json | undefined;
  }

  /** The JSON schema of an operation's success answer. */
  answer(method: string, path: string): Json {
    const op = this.operation(method, path);
    if (!op) throw new Error(`no operation ${method} ${path} in the api's document`);
    const responses = op.responses as Record<string, Json>;
    const ok = (responses['200'] ?? responses['201']) as Json;
    return ((ok.content as Json)['application/json'] as Json).schema as Json;
  }

  /** An operation's query or path parameters as one object schema. */
  parameters(method: string, path: string, where: 'query' | 'path'): Json {
    const op = this.operation(method, path);
    if (!op) throw new Error(`no operation ${method} ${path} in the api's document`);
    const params = (op.parameters as Json[]).filter((p) => p.in === where);
    return {
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [p.name, p.schema])),
      required: params.filter((p) => p.required).map((p) => p.name),
    };
  }

  body(method: string, path: string): Json {
    const op = this.operation(method, path);
    const content = (op?.requestBody as Json | undefined)?.content as Json | undefined;
    const schema = (content?.['application/json'] as Json | undefined)?.schema as Json | undefined;
    if (!schema) throw new Error(`${method} ${path} takes no JSON body in the api's document`);
    return schema;
  }

  /**
   * Every way the schema disagrees with the console's spec, as `path: why` lines (empty: they agree).
   * response: each field the console reads must be in the schema, required when the console relies on
   * it, of the same kind, with the same enum values. request: each field the console sends must be in
   * the schema (the api refuses unknown fields), every field the api requires must be one the console
   * always sends, and the console's enum values must be ones the api accepts.
   */
  check(spec: unknown, schema: Json, dir: Direction, at = '$'): string[] {
    const s = spec as AnySpec;
    const all = this.variants(schema);
    const allowsNull = all.some((v) => v.type === 'null');
    const open = all.length === 1 && Object.keys(all[0] as Json).length === 0;
    const vs = all.filter((v) => v.type !== 'null');
    if (open) return [`${at}: the api's schema says nothing about this value (any JSON)`];
    if (typeof s === 'object' && 'nullable' in s) {
      if (dir === 'request' && !allowsNull)
        return [`${at}: the console may send null; the api does not accept it`];
      return this.check(s.nullable, { anyOf: vs }, dir, at);
    }
    if (allowsNull && dir === 'response')
      return [`${at}: the api may answer null; the console does not expect it`];
    if (s === 'string' || s === 'number' || s === 'boolean' || s === 'record') {
      const want = s === 'record' ? 'object' : s;
      const bad = vs.filter((v) => !(v.type === want || (want === 'number' && v.type === 'integer')));
      return bad.length ? [`${at}: the console expects ${s}; the api's schema has ${kinds(bad)}`] : [];
    }
    if ('enum' in s) return this.checkEnum(Object.keys(s.enum), vs, dir, at);
    if ('items' in s) {
      const bad = vs.filter((v) => v.type !== 'array');
      if (bad.length || vs.length === 0)
        return [`${at}: the console expects an array; the api's has ${kinds(vs)}`];
      return vs.flatMap((v) => this.check(s.items, v.items as Json, dir, `${at}[]`));
    }
    return vs.flatMap((v) => this.checkFields(s.fields, v, dir, at));
  }

  private checkEnum(consoleValues: string[], vs: Json[], dir: Direction, at: string): string[] {
    const apiValues: string[] = [];
    for (const v of vs) {
      if ('const' in v) apiValues.push(String(v.const));
      else if (Array.isArray(v.enum)) apiValues.push(...(v.enum as unknown[]).map(String));
      else if (dir === 'request')
        return []; // an open field takes any of the console's values
      else
        return [
          `${at}: the console expects one of ${consoleValues.join(', ')}; the api's is any ${kinds([v])}`,
        ];
    }
    const unknownToApi = consoleValues.filter((c) => !apiValues.includes(c));
    const unknownToConsole = apiValues.filter((a) => !consoleValues.includes(a));
    const out: string[] = [];
    if (unknownToApi.length) out.push(`${at}: the api does not know ${unknownToApi.join(', ')}`);
    if (unknownToConsole.length) out.push(`${at}: the console does not know ${unknownToConsole.join(', ')}`);
    return out;
  }

  private checkFields(fields: Record<string, unknown>, v: Json, dir: Direction, at: string): string[] {
    if (v.type !== 'object')
      return [`${at}: the console expects an object; the api's schema has ${kinds([v])}`];
    const props = (v.properties ?? {}) as Record<string, Json>;
    const required = new Set((v.required ?? []) as string[]);
    const out: string[] = [];
    for (const [name, f] of Object.entries(fields)) {
      const optional = typeof f === 'object' && f !== null && 'optional' in f;
      const inner = optional ? (f as { optional: unknown }).optional : f;
      const prop = props[name];
      if (!prop) {
        out.push(
          `${at}.${name}: not in the api's schema (it has ${Object.keys(props).join(', ') || 'no fields'})`,
        );
        continue;
      }
      if (dir === 'response' && !optional && !required.has(name)) {
        out.push(`${at}.${name}: the console relies on it; the api's schema makes it optional`);
      }
      if (dir === 'request' && optional && required.has(name)) {
        out.push(`${at}.${name}: the api requires it; the console may leave it out`);
      }
      out.push(...this.check(inner, prop, dir, `${at}.${name}`));
    }
    if (dir === 'request') {
      for (const name of required)
        if (!(name in fields)) out.push(`${at}.${name}: the api requires it; the console never sends it`);
    }
    return out;
  }
}

function kinds(vs: Json[]): string {
  return vs.map((v) => String(v.type ?? JSON.stringify(v))).join(' | ') || 'nothing';
}
