// Shared vitest settings: every package writes a JSON report under .sentinel/test-results so that
// `npm test` can print one closing line for the whole run.
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

export function sentinelVitestConfig(packageDir: string, testDir = 'test') {
  const name = packageDir === root ? 'cli' : basename(packageDir);
  const kind = process.env.SENTINEL_TEST_KIND ?? 'unit';
  return defineConfig({
    test: {
      root: packageDir,
      include: [`${testDir}/${kind}/**/*.test.ts`],
      testTimeout: kind === 'integration' ? 120_000 : 10_000,
      hookTimeout: kind === 'integration' ? 120_000 : 10_000,
      pool: 'forks',
      reporters: ['default', 'json'],
      outputFile: { json: join(root, '.sentinel', 'test-results', `${name}-${kind}.json`) },
      passWithNoTests: true,
    },
  });
}
