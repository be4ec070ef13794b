// `sentinel demo`: the fleet demo (see cli/demo/demo.ts).
import { runDemo } from '../demo/demo.ts';
import type { RegisterCommand } from '../registry.ts';

function positiveInt(what: string) {
  return (v: string): number => {
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
    return n;
  };
}

function coreBroker(v: string): 'nats' | 'mosquitto' {
  if (v !== 'nats' && v !== 'mosquitto')
    throw new Error(`--core-broker must be nats or mosquitto, got ${JSON.stringify(v)}`);
  return v;
}

export const registerDemo: RegisterCommand = (program, ctx) => {
  program
    .command('demo')
    .description(
      'run the fleet demo: N devices through the enforcement node, ~600 alerts/s, a delivery summary',
    )
    .option('--devices <n>', 'simulated devices', positiveInt('--devices'), 10_000)
    .option('--duration <s>', 'seconds of alert traffic', positiveInt('--duration'), 60)
    .option('--rate <n>', 'alerts per second', positiveInt('--rate'), 600)
    .option('--per-process <n>', 'devices per fleet process (file limit)', positiveInt('--per-process'), 5000)
    .option('--keep', 'keep running after the summary (for sentinel inject) until Ctrl-C', false)
    .option('--attach', 'use the stack `sentinel up` already runs instead of starting one', false)
    .option(
      '--core-broker <broker>',
      'core broker: mosquitto (default; QoS 1 delivery that scales to many sessions) or nats (nats-server MQTT); with --attach, stack.coreBroker',
      coreBroker,
    )
    .action(
      async (o: {
        devices: number;
        duration: number;
        rate: number;
        perProcess: number;
        keep: boolean;
        attach: boolean;
        coreBroker?: 'nats' | 'mosquitto';
      }) => {
        const stop = new AbortController();
        const onSignal = (): void => {
          process.stderr.write('\nstopping the demo ...\n');
          stop.abort();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        const r = await runDemo(ctx.config(), {
          signal: stop.signal,
          devices: o.devices,
          durationS: o.duration,
          rate: o.rate,
          perProcess: o.perProcess,
          keep: o.keep,
          attach: o.attach,
          // A running stack has the core broker it was started with.
          ...(o.attach ? {} : { coreBroker: o.coreBroker ?? 'mosquitto' }),
          log: (line) => process.stderr.write(line + '\n'),
        });
        process.stdout.write(JSON.stringify(r) + '\n');
        process.exit(r.misrouted === 0 && r.connected === r.devices ? 0 : 1);
      },
    );
};
