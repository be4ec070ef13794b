// What the `sentinel` command and the local stack are made of. Each component adds one line here:
// its subcommand (run alone on its own machine) and its service in `sentinel up` (in start order).
import type { Command } from 'commander';
import type { SentinelConfig } from './config.ts';
import { registerAnalytics } from './commands/analytics.ts';
import { registerApi } from './commands/api.ts';
import { registerAuthService } from './commands/auth-service.ts';
import { registerBridge } from './commands/bridge.ts';
import { registerDemo } from './commands/demo.ts';
import { registerInject } from './commands/inject.ts';
import { registerEnforce } from './commands/enforce.ts';
import { registerExport } from './commands/export.ts';
import { registerIntake } from './commands/intake.ts';
import { analyticsService } from './services/analytics.ts';
import { apiService } from './services/api.ts';
import { authServiceService } from './services/auth-service.ts';
import { coreBrokerService } from './services/core-broker.ts';
import { enforcementService } from './services/enforcement.ts';
import { exportService } from './services/export.ts';
import { intakeService } from './services/intake.ts';
import { mariadbService } from './services/mariadb.ts';
import { natsService, streamsService } from './stack.ts';
import type { StackService } from './stack.ts';

export interface CommandContext {
  /** Loads and validates the configuration (once per process). */
  config(): SentinelConfig;
}

export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** Subcommands besides up, config and docs. */
export const commands: RegisterCommand[] = [
  registerAnalytics,
  registerAuthService,
  registerEnforce,
  registerApi,
  registerBridge,
  registerExport,
  registerIntake,
  registerDemo,
  registerInject,
];

/** Services of `sentinel up`, in start order. */
export const services: StackService[] = [
  natsService,
  coreBrokerService,
  streamsService,
  analyticsService,
  exportService,
  intakeService,
  mariadbService,
  authServiceService,
  enforcementService,
  apiService,
];
