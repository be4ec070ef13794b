// The `bridge` config section. Rules are compiled here, at parse time, so a bad rule stops the start with
// an error naming it; a rule pair that would loop messages is refused where no hop marker can stop it.
import { z } from 'zod';
import { BridgeRuleError } from './errors.ts';
import { compileRule, findLoops } from './mapping.ts';
import type { CompiledRule } from './mapping.ts';

const clientId = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'must be 1–40 letters, digits, dot, dash or underscore');

function brokerSchema(defaults: { url: string; clientId: string; protocolVersion: 4 | 5 }) {
  return z
    .object({
      /** mqtt://, mqtts://, ws:// or wss:// URL of the broker. */
      url: z
        .string()
        .regex(/^(mqtts?|wss?):\/\/[^/\s]+/, 'must be an mqtt://, mqtts://, ws:// or wss:// URL')
        .default(defaults.url),
      /** Prefix of the fixed client ids (`<id>-sub`, `<id>-pub`): fixed so the broker keeps the session. */
      clientId: clientId.default(defaults.clientId),
      /** 4 = MQTT 3.1.1 (nats-server's MQTT), 5 = MQTT 5 (needed to carry the hop marker). */
      protocolVersion: z.union([z.literal(4), z.literal(5)]).default(defaults.protocolVersion),
      username: z.string().optional(),
      password: z.string().optional(),
      /** PEM CA bundle the broker's certificate must chain to (mqtts/wss); system CAs if not set. */
      caFile: z.string().optional(),
      /** Server name checked against the certificate (defaults to the URL's host). */
      servername: z.string().optional(),
      keepaliveS: z.number().int().min(5).max(3600).default(30),
    })
    .strict()
    .prefault({});
}

const ruleSchema = z
  .object({
    /** out: core -> origin, in: origin -> core. */
    direction: z.enum(['out', 'in']),
    from: z.string(),
    to: z.string(),
  })
  .strict();

export const bridgeConfigSchema = z
  .object({
    /** This deployment's id: the value of the `sentinel-hop` marker that stops loops. */
    deploymentId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, dot, dash or underscore')
      .default('sentinel'),
    /** The core broker (nats-server's MQTT listener speaks 3.1.1). */
    core: brokerSchema({ url: 'mqtt://127.0.0.1:1884', clientId: 'sentinel-bridge', protocolVersion: 4 }),
    /** The customer origin, normally MQTT over WebSocket Secure. */
    origin: brokerSchema({
      url: 'wss://127.0.0.1:8084/mqtt',
      clientId: 'sentinel-bridge',
      protocolVersion: 5,
    }),
    /** Mapping rules, first match wins: [{direction, from, to}], e.g. clients/+/alerts -> customer/acme/alerts/{1}. */
    rules: z.array(ruleSchema).default([]),
    /** Unacknowledged messages a broker may push to the bridge at once (MQTT 5 Receive Maximum). */
    window: z.number().int().min(1).max(65535).default(64),
    backoff: z
      .object({
        initialMs: z.number().int().min(1).default(250),
        maxMs: z.number().int().min(1).default(30_000),
        multiplier: z.number().min(1).max(10).default(2),
        /** Fraction of each delay drawn at random (0–1). */
        jitter: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .prefault({}),
    metrics: z
      .object({
        host: z.string().default('127.0.0.1'),
        /** Port of the bridge's /metrics (0 = off). */
        port: z.number().int().min(0).max(65535).default(9466),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const compiled: CompiledRule[] = [];
    c.rules.forEach((r, i) => {
      try {
        compiled.push(compileRule(r, i));
      } catch (err) {
        if (!(err instanceof BridgeRuleError)) throw err;
        ctx.addIssue({ code: 'custom', path: ['rules', i], message: err.message, input: r });
      }
    });
    for (const loop of findLoops(compiled)) {
      const side = loop.closesAt === 'core' ? c.core : c.origin;
      if (side.protocolVersion === 5) continue; // the hop marker drops the returning copy
      ctx.addIssue({
        code: 'custom',
        path: ['rules', loop.in.index],
        message:
          `rule ${loop.in.index} (in ${loop.in.from} -> ${loop.in.to}) and rule ${loop.out.index} ` +
          `(out ${loop.out.from} -> ${loop.out.to}) would loop messages through the ${loop.closesAt} broker, ` +
          `which speaks MQTT 3.1.1 and cannot carry the hop marker`,
        input: c.rules[loop.in.index],
      });
    }
    if (c.backoff.maxMs < c.backoff.initialMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['backoff', 'maxMs'],
        message: `must be at least backoff.initialMs (${c.backoff.initialMs})`,
        input: c.backoff.maxMs,
      });
    }
  })
  .prefault({});

export type BridgeConfig = z.output<typeof bridgeConfigSchema>;
export type BrokerConfig = BridgeConfig['core'];
