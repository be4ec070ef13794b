import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REASONS } from '@sentinel/ingest';
import { configurationMarkdown, eventsMarkdown } from '../../docs.ts';

describe('docs/events.md', () => {
  it('is what `npm run docs:events` generates from the contract (run it after adding a reason code)', () => {
    expect(readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8')).toBe(eventsMarkdown());
  });

  it('lists every reason code with an example', () => {
    const md = eventsMarkdown();
    for (const code of Object.keys(REASONS)) {
      expect(md).toContain(`| \`${code}\` |`);
      expect(md).toContain(`"reason":"${code}"`);
    }
  });
});

describe('docs/configuration.md', () => {
  it('is what `npm run docs:config` generates from the schema (run it after adding a setting)', () => {
    expect(readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8')).toBe(
      configurationMarkdown(),
    );
  });
});
