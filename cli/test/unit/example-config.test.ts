import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';

describe('sentinel.example.yaml', () => {
  it('is a valid configuration', () => {
    const { config } = loadConfig(new URL('../../../sentinel.example.yaml', import.meta.url).pathname, {});
    expect(config.stack.coreMqttPort).toBe(1884);
  });
});
