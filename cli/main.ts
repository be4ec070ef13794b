// The `sentinel` command line: one subcommand per component, so a deployment can run each on its own
// machine, and `up` for the whole local stack.
import { Command } from 'commander';
import { ConfigError, redact } from '@sentinel/ingest';
import { loadConfig } from './config.ts';
import type { SentinelConfig } from './config.ts';
import { configurationMarkdown, eventsMarkdown } from './docs.ts';
import { commands, services } from './registry.ts';
import { startStack } from './stack.ts';

const program = new Command();

program
  .name('sentinel')
  .description('Sentinel: an MQTT security layer and event-sourced security analytics for IoT fleets.')
  .option('-c, --config <file>', 'configuration file (default: ./sentinel.yaml if present)')
  .showHelpAfterError();

let loaded: SentinelConfig | undefined;
function config(): SentinelConfig {
  loaded ??= loadConfig(program.opts<{ config?: string }>().config).config;
  return loaded;
}

program
  .command('up')
  .description('start the whole local stack (nats-server with JetStream and MQTT, streams, components)')
  .action(async () => {
    const stop = await startStack(config(), services);
    process.stderr.write('Press Ctrl-C to stop.\n');
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\n${signal}: shutting down ...\n`);
      void stop().then(() => {
        process.stderr.write('stopped.\n');
        process.exit(0);
      });
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
  });

program
  .command('config')
  .description('print the effective configuration (secrets redacted) and exit; fails on a bad value')
  .action(() => {
    const loaded = loadConfig(program.opts<{ config?: string }>().config);
    process.stdout.write(
      JSON.stringify(redact(loaded.config as unknown as Record<string, unknown>), null, 2) + '\n',
    );
  });

const docs = program.command('docs').description('generate reference documents from the sources');
docs
  .command('events')
  .description('print docs/events.md: every event kind and reason code with an example')
  .action(() => {
    process.stdout.write(eventsMarkdown());
  });
docs
  .command('config')
  .description('print docs/configuration.md: every setting, its environment variable and default')
  .action(() => {
    process.stdout.write(configurationMarkdown());
  });

for (const register of commands) register(program, { config });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`sentinel: configuration error: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`sentinel: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
