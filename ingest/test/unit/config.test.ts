import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, envName, parseConfig, natsConfigSchema, streamsConfigSchema } from '@sentinel/ingest';

const schema = z
  .object({
    nats: natsConfigSchema,
    streams: streamsConfigSchema,
    rateLimits: z
      .object({
        perIp: z
          .object({ rate: z.number().positive().default(100) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('derives environment names from the key path', () => {
    expect(envName(['rateLimits', 'perIp', 'rate'])).toBe('SENTINEL_RATE_LIMITS_PER_IP_RATE');
    expect(envName(['clickhouse', 'url'])).toBe('SENTINEL_CLICKHOUSE_URL');
  });

  it('fills every default when nothing is given', () => {
    const c = parseConfig(schema, {});
    expect(c.nats.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(c.streams.eventsMaxAgeHours).toBe(72);
    expect(c.rateLimits.perIp.rate).toBe(100);
  });

  it('environment variables override the file, with types coerced', () => {
    const c = parseConfig(schema, {
      yamlText: 'nats:\n  replicas: 3\nrateLimits:\n  perIp:\n    rate: 5\n',
      env: { SENTINEL_RATE_LIMITS_PER_IP_RATE: '250', SENTINEL_NATS_SERVERS: 'nats://a:4222, nats://b:4222' },
    });
    expect(c.nats.replicas).toBe(3);
    expect(c.rateLimits.perIp.rate).toBe(250);
    expect(c.nats.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
  });

  it('a bad value names the key, the value and the environment variable it came from', () => {
    const err = configError(() => parseConfig(schema, { env: { SENTINEL_RATE_LIMITS_PER_IP_RATE: 'fast' } }));
    expect(err.key).toBe('rateLimits.perIp.rate');
    expect(err.message).toContain('"fast"');
    expect(err.message).toContain('SENTINEL_RATE_LIMITS_PER_IP_RATE');
  });

  it('a bad list item set through the environment is attributed to the variable', () => {
    const err = configError(() => parseConfig(schema, { env: { SENTINEL_NATS_SERVERS: 'http://x:1' } }));
    expect(err.key).toBe('nats.servers.0');
    expect(err.message).toContain('from environment SENTINEL_NATS_SERVERS');
  });

  it('a bad value in the file names the key, the value and the file', () => {
    const err = configError(() =>
      parseConfig(schema, { yamlText: 'nats:\n  replicas: 0\n', yamlName: 'site.yaml' }),
    );
    expect(err.key).toBe('nats.replicas');
    expect(err.message).toMatch(/nats\.replicas has a bad value 0 \(from site\.yaml\)/);
  });

  it('an unknown key in the file is refused with its name', () => {
    const err = configError(() => parseConfig(schema, { yamlText: 'nats:\n  serverz: [x]\n' }));
    expect(err.key).toBe('nats.serverz');
  });

  it('an unknown SENTINEL_ variable is refused, test switches are not settings', () => {
    expect(configError(() => parseConfig(schema, { env: { SENTINEL_NATS_SERVERZ: 'x' } })).key).toBe(
      'SENTINEL_NATS_SERVERZ',
    );
    expect(() => parseConfig(schema, { env: { SENTINEL_TEST_KAFKA_BROKERS: 'x' } })).not.toThrow();
  });

  it('a section left empty in the file (only comments) takes its defaults', () => {
    const c = parseConfig(schema, { yamlText: 'nats:\n  # servers: [nats://x:4222]\nrateLimits:\n' });
    expect(c.nats.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(c.rateLimits.perIp.rate).toBe(100);
  });

  it('broken YAML is refused with the parser message', () => {
    expect(configError(() => parseConfig(schema, { yamlText: 'nats: [unclosed' })).message).toMatch(
      /not valid YAML/,
    );
  });
});
