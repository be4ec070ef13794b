// `sentinel up`: the whole local stack. Each part is a service with a start step that waits until it is
// healthy; parts start in order, print where they listen, are supervised while running (children restart
// with backoff), and stop in reverse order on Ctrl-C. Components join the list as they land.
import { join, resolve } from 'node:path';
import { connectNats, createLogger, ensureStreams, STREAMS, BANS_BUCKET } from '@sentinel/ingest';
import type { Logger } from '@sentinel/ingest';
import { isListening, startNats } from '@sentinel/infra';
import type { SentinelConfig } from './config.ts';

export interface Endpoint {
  label: string;
  url: string;
  note?: string;
}

export interface RunningService {
  endpoints: Endpoint[];
  stop(): Promise<void>;
}

export interface StackService {
  name: string;
  start(ctx: StackContext): Promise<RunningService>;
}

export interface StackContext {
  config: SentinelConfig;
  dataDir: string;
  log: Logger;
}

/** Refuse to start a part whose port is taken, saying which setting moves it. */
export async function assertPortFree(
  port: number,
  what: string,
  setting: string,
  host?: string,
): Promise<void> {
  if (await isListening(port, host)) {
    throw new Error(`port ${port} (${what}) is already in use: stop what listens there or set ${setting}`);
  }
}

export const natsService: StackService = {
  name: 'nats-server (JetStream, and the MQTT core broker unless stack.coreBroker says otherwise)',
  async start(ctx) {
    const s = ctx.config.stack;
    const mqtt = s.coreBroker === 'nats';
    for (const [what, port] of [
      ['NATS client', s.natsPort],
      ['NATS monitoring', s.natsMonitorPort],
      ...(mqtt ? [['core MQTT', s.coreMqttPort] as const] : []),
    ] as const) {
      await assertPortFree(port, what, 'the matching stack.* setting');
    }
    const server = await startNats({
      dir: join(ctx.dataDir, 'nats'),
      port: s.natsPort,
      monitorPort: s.natsMonitorPort,
      mqttPort: mqtt ? s.coreMqttPort : 0, // 0: no MQTT listener
      restart: true,
      binary: s.natsBinary,
      gogc: s.natsGogc,
    });
    server.child.onEvent = (e) => {
      if (e.type === 'restart')
        ctx.log.warn('nats-server exited; restarting', { attempt: e.attempt, delayMs: e.delayMs });
    };
    return {
      endpoints: [
        { label: 'NATS', url: server.url, note: `monitoring http://127.0.0.1:${server.monitorPort}` },
        ...(mqtt
          ? [{ label: 'Core broker', url: `mqtt://127.0.0.1:${s.coreMqttPort}`, note: 'nats-server MQTT' }]
          : []),
      ],
      stop: () => server.stop(),
    };
  },
};

export const streamsService: StackService = {
  name: 'streams and bans bucket',
  async start(ctx) {
    const nc = await connectNats(ctx.config.nats, { component: 'stack' });
    await ensureStreams(nc, ctx.config.streams, ctx.config.nats.replicas);
    await nc.close();
    return {
      endpoints: [
        {
          label: 'Streams',
          url: Object.values(STREAMS).join(', '),
          note: `KV ${BANS_BUCKET}`,
        },
      ],
      stop: async () => undefined,
    };
  },
};

function write(line: string): void {
  process.stderr.write(line + '\n');
}

/** Start every service; resolves with a stop function once all are healthy. */
export async function startStack(
  config: SentinelConfig,
  services: StackService[],
): Promise<() => Promise<void>> {
  const dataDir = resolve(config.dataDir);
  const log = createLogger({ component: 'stack' }, config.log.level);
  const ctx: StackContext = { config, dataDir, log };
  const running: { name: string; svc: RunningService }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const r of running.reverse()) {
      write(`  stopping ${r.name} ...`);
      await r.svc.stop().catch((err: unknown) => write(`  ${r.name} did not stop cleanly: ${String(err)}`));
    }
  };
  write(`sentinel up — starting the local stack (data in ${config.dataDir}/)`);
  let i = 0;
  for (const svc of services) {
    i += 1;
    const started = Date.now();
    process.stderr.write(`  [${i}/${services.length}] ${svc.name} ... `);
    try {
      running.push({ name: svc.name, svc: await svc.start(ctx) });
    } catch (err) {
      write('failed');
      write(`\n${svc.name} failed to start: ${err instanceof Error ? err.message : String(err)}`);
      await stopAll();
      throw err;
    }
    write(`ready in ${Date.now() - started} ms`);
  }
  write('\nSentinel is up:');
  for (const ep of running.flatMap((r) => r.svc.endpoints)) {
    write(`  ${ep.label.padEnd(14)} ${ep.url}${ep.note ? `   (${ep.note})` : ''}`);
  }
  return stopAll;
}
