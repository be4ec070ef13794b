// A whole-stack configuration with every `*port` / `*Port` setting moved to a free loopback port, for
// tests and benchmarks that run the real stack beside whatever already listens on the default ports.
import { getFreePort } from '@sentinel/infra';
import { schemaLeaves } from '@sentinel/ingest';
import { sentinelConfigSchema } from './config.ts';

export interface FreePortConfig {
  /** The settings to write as sentinel.yaml. */
  yaml: Record<string, unknown>;
  /** Port per setting path, e.g. `stack.natsPort`. */
  ports: Map<string, number>;
}

export async function freePortConfig(dataDir: string): Promise<FreePortConfig> {
  const defaults = sentinelConfigSchema.parse({}) as Record<string, unknown>;
  const yaml: Record<string, unknown> = { dataDir };
  const ports = new Map<string, number>();
  for (const leaf of schemaLeaves(sentinelConfigSchema)) {
    const key = leaf.path[leaf.path.length - 1] ?? '';
    if (leaf.kind !== 'number' || !/port$/i.test(key)) continue;
    let v: unknown = defaults;
    for (const k of leaf.path) v = (v as Record<string, unknown> | undefined)?.[k];
    if (typeof v !== 'number' || v === 0) continue;
    const port = await getFreePort();
    ports.set(leaf.path.join('.'), port);
    let o = yaml;
    for (const k of leaf.path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[key] = port;
  }
  yaml.nats = { servers: [`nats://127.0.0.1:${ports.get('stack.natsPort')}`] };
  return { yaml, ports };
}
