// Strict configuration parsing: sentinel.yaml, then SENTINEL_* environment variables over it, validated
// once against a schema. Pure: no I/O beyond what the caller passes in. An error names the key, the value,
// where the value came from, and what was expected.
//
// Environment names are derived from the schema: `rateLimits.perIp.rate` ↔ SENTINEL_RATE_LIMITS_PER_IP_RATE.
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';

export const ENV_PREFIX = 'SENTINEL_';
/** Variables under these prefixes are not settings (test switches, process plumbing). */
const RESERVED_ENV = ['SENTINEL_TEST_', 'SENTINEL_INTERNAL_', 'SENTINEL_CONFIG_FILE'];

type Leaf = { path: string[]; kind: 'string' | 'number' | 'boolean' | 'array' | 'json' };

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    const def = (s as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } } })
      ._zod.def;
    if (
      (def.type === 'default' ||
        def.type === 'optional' ||
        def.type === 'nullable' ||
        def.type === 'prefault' ||
        def.type === 'catch') &&
      def.innerType
    ) {
      s = def.innerType;
    } else if (def.type === 'pipe' && def.in) {
      s = def.in;
    } else break;
  }
  return s;
}

function typeOf(schema: z.ZodType): string {
  return (schema as unknown as { _zod: { def: { type: string } } })._zod.def.type;
}

/** Every leaf setting of a schema with the kind of value an environment variable must carry. */
export function schemaLeaves(schema: z.ZodType, path: string[] = []): Leaf[] {
  const s = unwrap(schema);
  const t = typeOf(s);
  if (t === 'object') {
    const shape = (s as z.ZodObject).shape as Record<string, z.ZodType>;
    return Object.entries(shape).flatMap(([k, v]) => schemaLeaves(v, [...path, k]));
  }
  if (t === 'string' || t === 'enum' || t === 'literal' || t === 'template_literal')
    return [{ path, kind: 'string' }];
  if (t === 'number' || t === 'int' || t === 'bigint') return [{ path, kind: 'number' }];
  if (t === 'boolean') return [{ path, kind: 'boolean' }];
  if (t === 'array') return [{ path, kind: 'array' }];
  return [{ path, kind: 'json' }];
}

export function envName(path: string[]): string {
  return (
    ENV_PREFIX +
    path
      .map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_'))
      .join('_')
      .toUpperCase()
  );
}

function coerce(raw: string, kind: Leaf['kind']): unknown {
  switch (kind) {
    case 'number': {
      const n = Number(raw.replace(/_/g, ''));
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      return raw;
    case 'array':
      if (raw.trim().startsWith('[')) {
        try {
          return JSON.parse(raw);
        } catch {
          return raw;
        }
      }
      return raw
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x.length > 0);
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        return raw;
      }
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let o = target;
  for (const k of path.slice(0, -1)) {
    const next = o[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) o[last] = value;
}

/** `key:` with nothing after it (or only comments) means "not set" in YAML: drop it so defaults apply. */
function dropNulls(o: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(o)) {
    if (v === null) delete o[k];
    else if (typeof v === 'object' && !Array.isArray(v)) dropNulls(v as Record<string, unknown>);
  }
}

function getPath(source: unknown, path: readonly PropertyKey[]): unknown {
  let o: unknown = source;
  for (const k of path) {
    if (typeof o !== 'object' || o === null) return undefined;
    o = (o as Record<PropertyKey, unknown>)[k];
  }
  return o;
}

export interface ConfigSources {
  /** Text of sentinel.yaml, if there is one. */
  yamlText?: string;
  /** Name of the YAML file, for messages. */
  yamlName?: string;
  env?: Record<string, string | undefined>;
}

function show(v: unknown): string {
  if (v === undefined) return '(not set)';
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/**
 * Parse the configuration once. Throws ConfigError naming the key, the bad value and its source.
 */
export function parseConfig<S extends z.ZodType>(schema: S, sources: ConfigSources = {}): z.output<S> {
  const yamlName = sources.yamlName ?? 'sentinel.yaml';
  let fromYaml: unknown = {};
  if (sources.yamlText !== undefined && sources.yamlText.trim() !== '') {
    try {
      fromYaml = parseYaml(sources.yamlText) ?? {};
    } catch (err) {
      throw new ConfigError(`${yamlName} is not valid YAML: ${(err as Error).message}`, {
        key: '(file)',
        source: yamlName,
        cause: err,
      });
    }
    if (typeof fromYaml !== 'object' || Array.isArray(fromYaml)) {
      throw new ConfigError(`${yamlName} must hold a mapping of settings at the top level`, {
        key: '(file)',
        source: yamlName,
      });
    }
  }
  const merged = structuredClone(fromYaml) as Record<string, unknown>;
  dropNulls(merged);
  const fromEnv = new Map<string, string>();
  const leaves = schemaLeaves(schema);
  const byEnv = new Map(leaves.map((l) => [envName(l.path), l]));
  for (const [name, raw] of Object.entries(sources.env ?? {})) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined) continue;
    if (RESERVED_ENV.some((p) => name.startsWith(p))) continue;
    const leaf = byEnv.get(name);
    if (!leaf) {
      throw new ConfigError(`unknown setting ${name}=${show(raw)}: no configuration key maps to it`, {
        key: name,
        value: raw,
        source: 'environment',
        hint: 'check the spelling against docs/configuration.md',
      });
    }
    setPath(merged, leaf.path, coerce(raw, leaf.kind));
    fromEnv.set(leaf.path.join('.'), name);
  }
  const result = schema.safeParse(merged);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path ?? [];
  let key = path.map(String).join('.') || '(root)';
  let value = getPath(merged, path);
  if (issue?.code === 'unrecognized_keys') {
    const extra = issue.keys[0] ?? '';
    key = key === '(root)' ? extra : `${key}.${extra}`;
    value = getPath(merged, [...path, extra]);
    throw new ConfigError(
      `config key ${key} is not a known setting (value ${show(value)}, from ${yamlName})`,
      {
        key,
        value,
        source: yamlName,
        hint: 'remove it or fix its spelling',
      },
    );
  }
  // The issue may sit below the leaf an environment variable set (nats.servers.0 under nats.servers).
  const envLeaf = [...fromEnv.keys()].find((k) => key === k || key.startsWith(`${k}.`));
  const source = envLeaf
    ? `environment ${fromEnv.get(envLeaf)}`
    : value === undefined
      ? 'defaults'
      : yamlName;
  throw new ConfigError(
    `config key ${key} has a bad value ${show(value)} (from ${source}): ${issue?.message ?? 'invalid'}`,
    {
      key,
      value,
      source,
    },
  );
}
