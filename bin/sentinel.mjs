#!/usr/bin/env node
// The `sentinel` command. Sentinel is written in TypeScript and run through tsx's loader, so the same
// sources serve development, tests and deployments without a separate build step.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
