// `sentinel inject`: the security scenarios against a running stack (see cli/demo/inject.ts).
import { runInject } from '../demo/inject.ts';
import type { RegisterCommand } from '../registry.ts';

export const registerInject: RegisterCommand = (program, ctx) => {
  program
    .command('inject')
    .description(
      'attack the running stack with real MQTT clients (brute force, PUBLISH and CONNECT bursts, injection, oversized and high-entropy payloads, wildcard scan, stolen client id) and show what Sentinel decided',
    )
    .argument('[scenario...]', 'only scenarios whose name or rule contains one of these words')
    .action(async (only: string[]) => {
      const outcomes = await runInject(ctx.config(), only, (line) => process.stdout.write(line + '\n'));
      process.exit(outcomes.every((o) => o.detected) ? 0 : 1);
    });
};
