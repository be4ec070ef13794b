import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sentinel/ingest';
import { loadConfig } from '../../config.ts';

describe('sentinel configuration', () => {
  it('runs on defaults with no file and no environment', () => {
    const { config, file } = loadConfig(undefined, {});
    expect(file).toBeUndefined();
    expect(config.stack.natsPort).toBe(4222);
    expect(config.dataDir).toBe('.sentinel');
  });

  it('reads the named file and lets SENTINEL_* variables override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sentinel-cfg-'));
    const file = join(dir, 'sentinel.yaml');
    writeFileSync(file, 'stack:\n  natsPort: 14222\nnode:\n  name: edge-7\n');
    const { config } = loadConfig(file, { SENTINEL_STACK_NATS_PORT: '24222' });
    expect(config.stack.natsPort).toBe(24222);
    expect(config.node.name).toBe('edge-7');
  });

  it('a bad node name stops the start naming key and value', () => {
    expect(() => loadConfig(undefined, { SENTINEL_NODE_NAME: 'bad name!' })).toThrow(ConfigError);
    expect(() => loadConfig(undefined, { SENTINEL_NODE_NAME: 'bad name!' })).toThrow(
      /node\.name.*"bad name!"/,
    );
  });

  it('a missing named file is an error, not silent defaults', () => {
    expect(() => loadConfig('does-not-exist.yaml', {})).toThrow(/does not exist/);
  });
});
