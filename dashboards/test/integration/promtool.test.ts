// The shipped Prometheus files checked by Prometheus's own tool (Debian package `prometheus`).
import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '@sentinel/infra';
import { packagePath } from '../../src/index.ts';

const run = promisify(execFile);

async function promtool(args: string[], cwd: string): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run('promtool', args, { cwd });
    return { ok: true, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

describe('promtool', () => {
  const dir = packagePath('prometheus');
  const tmp = tempDir('sentinel-promtool-');
  afterAll(() => tmp.cleanup());

  it('accepts the scrape configuration and the rule file it loads', async () => {
    const r = await promtool(['check', 'config', 'prometheus.yml'], dir);
    expect(r.out).toContain('SUCCESS');
    expect(r.ok).toBe(true);
  });

  it('accepts the alert rules', async () => {
    const r = await promtool(['check', 'rules', 'alerts.yml'], dir);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.ok).toBe(true);
  });

  it('passes the alert rules unit tests (alerts.test.yml)', async () => {
    const r = await promtool(['test', 'rules', 'alerts.test.yml'], dir);
    expect(r.out).toContain('SUCCESS');
    expect(r.ok).toBe(true);
  });

  it('fails a rule test whose expectation is wrong, so the tests above can fail', async () => {
    copyFileSync(join(dir, 'alerts.yml'), join(tmp.dir, 'alerts.yml'));
    writeFileSync(
      join(tmp.dir, 'wrong.test.yml'),
      [
        'rule_files: [alerts.yml]',
        'evaluation_interval: 1m',
        'tests:',
        '  - interval: 1m',
        '    input_series:',
        '      - series: \'mqtt_proxy_auth_requests_total{result="deny"}\'',
        "        values: '0+1x10'",
        '    alert_rule_test:',
        '      - eval_time: 8m',
        '        alertname: SentinelAuthFailureSpike',
        '        exp_alerts: [{ exp_labels: { severity: warning } }]',
      ].join('\n') + '\n',
    );
    const r = await promtool(['test', 'rules', 'wrong.test.yml'], tmp.dir);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('FAILED');
  });

  it('rejects a rule file with a broken expression', async () => {
    writeFileSync(
      join(tmp.dir, 'broken.yml'),
      'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(rate(x[5m])\n',
    );
    const r = await promtool(['check', 'rules', 'broken.yml'], tmp.dir);
    expect(r.ok).toBe(false);
  });
});
