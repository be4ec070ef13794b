import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sentinelVitestConfig } from './vitest.shared.ts';

// The root package holds the `sentinel` command line (cli/) and its tests.
export default sentinelVitestConfig(dirname(fileURLToPath(import.meta.url)), 'cli/test');
