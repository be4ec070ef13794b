// The shared settings (JSON report for `npm test`), plus a DOM for the component tests and .tsx test files.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { sentinelVitestConfig } from '../vitest.shared.ts';

const dir = dirname(fileURLToPath(import.meta.url));
const kind = process.env.SENTINEL_TEST_KIND ?? 'unit';
const config = sentinelVitestConfig(dir);

config.plugins = [react()];
config.test = {
  ...config.test,
  include: [`test/${kind}/**/*.test.{ts,tsx}`],
  environment: kind === 'unit' ? 'happy-dom' : 'node',
  setupFiles: kind === 'unit' ? ['test/unit/setup.ts'] : [],
};

export default config;
