// One way to open a NATS connection from configuration, so every component reconnects the same way.
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { NatsConfig } from '../config/schema.ts';
import { IngestError, IngestErrorCode } from '../errors.ts';

export interface ConnectOptions {
  /** Client name suffix, e.g. the component. */
  component?: string;
  /** Fail after this long if no server answers (default 10 s). */
  timeoutMs?: number;
}

export async function connectNats(cfg: NatsConfig, opts: ConnectOptions = {}): Promise<NatsConnection> {
  try {
    return await connect({
      servers: cfg.servers,
      name: opts.component ? `${cfg.name}-${opts.component}` : cfg.name,
      ...(cfg.user !== undefined ? { user: cfg.user } : {}),
      ...(cfg.pass !== undefined ? { pass: cfg.pass } : {}),
      ...(cfg.token !== undefined ? { token: cfg.token } : {}),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      reconnectJitter: 100,
      timeout: opts.timeoutMs ?? 10_000,
      waitOnFirstConnect: false,
    });
  } catch (err) {
    throw new IngestError(
      IngestErrorCode.NatsUnavailable,
      `cannot reach NATS at ${cfg.servers.join(', ')}: ${(err as Error).message}`,
      { cause: err, context: { hint: 'start it with `sentinel up` or set SENTINEL_NATS_SERVERS' } },
    );
  }
}
