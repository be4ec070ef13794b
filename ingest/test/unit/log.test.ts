import { describe, expect, it } from 'vitest';
import { createLogger } from '@sentinel/ingest';

describe('logger', () => {
  it('never writes a secret, however deeply it is nested', () => {
    const lines: string[] = [];
    const log = createLogger({ component: 't' }, 'debug', (l) => lines.push(l));
    log.info('auth', { password: 'hunter2', nested: { apiToken: 'abc', ok: 1 }, Authorization: 'Bearer x' });
    const text = lines.join('');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('abc');
    expect(text).not.toContain('Bearer');
    expect(JSON.parse(text)).toMatchObject({ msg: 'auth', nested: { ok: 1 } });
  });

  it('drops lines below its level', () => {
    const lines: string[] = [];
    createLogger({}, 'warn', (l) => lines.push(l)).info('quiet');
    expect(lines).toEqual([]);
  });
});
