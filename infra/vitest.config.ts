import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sentinelVitestConfig } from '../vitest.shared.ts';

export default sentinelVitestConfig(dirname(fileURLToPath(import.meta.url)));
