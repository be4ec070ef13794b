// Compliance reports for IEC 62443-4-2 from a store filled through the pipeline, exported as PDF, CSV and
// JSON through the api, signed with an Ed25519 key from config: the PDF's text (pdftotext) names every
// requirement with its status, every file verifies (also with `sentinel api verify-report`), and changing
// any one byte makes verification fail.
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STANDARDS, STATUS_LABEL, verifyReport } from '@sentinel/api';
import type { Report, RequirementStatus } from '@sentinel/api';
import { tempDir, waitFor } from '@sentinel/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackScenario, startKit } from './kit.ts';
import type { Answer, Kit } from './kit.ts';

const SENTINEL = fileURLToPath(new URL('../../../bin/sentinel.mjs', import.meta.url));
const IEC = STANDARDS['iec62443-4-2'];

let kit: Kit;
const keyDir = tempDir('sentinel-report-key-');
let publicKey = '';
const files: Partial<Record<'pdf' | 'csv' | 'json', Buffer>> = {};
let from = 0;
let to = 0;

beforeAll(async () => {
  const { privateKey, publicKey: pub } = generateKeyPairSync('ed25519');
  publicKey = pub.export({ type: 'spki', format: 'der' }).toString('base64');
  const keyFile = join(keyDir.dir, 'report-signing.pem');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  kit = await startKit({
    api: { reports: { signingKeyFile: keyFile, sampleSize: 3 } },
    fullConfig: {
      enforcement: {
        tls: { enabled: true, clientCerts: 'required' },
        certBinding: 'required',
        auth: { url: 'http://127.0.0.1:9/auth' },
        rateLimits: { perIp: { rate: 100, burst: 1000 } },
        acl: { default: { wildcards: false } },
        protocol: { maxPacketSize: 262_144 },
      },
      analytics: { retentionDays: 30 },
      nats: { servers: ['nats://127.0.0.1:4222'] },
      api: { rateLimit: { rate: 20 } },
    },
  });
  from = Date.now() - 3_600_000;
  await attackScenario(kit);
  // the bans analytics took reach the store asynchronously; the evidence is complete once all are there
  await waitFor('every active ban stored', async () => {
    const active = await kit.call('GET', '/api/v1/bans', kit.tokens.auditor);
    const past = await kit.call('GET', '/api/v1/bans?state=past', kit.tokens.auditor);
    const n = (active.json as { items: unknown[] }).items.length;
    return n >= 5 && (past.json as { items: unknown[] }).items.length === n;
  });
  to = Date.now() + 1000;
  for (const format of ['pdf', 'csv', 'json'] as const) {
    const res: Answer = await kit.call('POST', '/api/v1/reports', kit.tokens.auditor, {
      standard: 'iec62443-4-2',
      from,
      to,
      format,
    });
    expect(res.status, res.bytes.toString().slice(0, 300)).toBe(200);
    expect(res.headers.get('content-disposition')).toContain(`.${format}`);
    files[format] = res.bytes;
  }
}, 120_000);
afterAll(async () => {
  await kit?.close();
  keyDir.cleanup();
});

/** The CLI in a child process, without blocking this process (the api under test runs in it). */
function sentinel(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SENTINEL, ...args], { cwd: kit.dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function report(): Report {
  return (JSON.parse((files.json as Buffer).toString('utf8')) as { report: Report }).report;
}

describe('IEC 62443-4-2 compliance report', () => {
  it('covers every catalog requirement with a status computed from configuration and evidence', () => {
    const r = report();
    expect(r.requirements.map((q) => q.id)).toEqual(IEC.requirements.map((q) => q.id));
    for (const id of [
      'CR 1.1',
      'CR 1.2',
      'CR 1.7',
      'CR 1.11',
      'CR 2.1',
      'CR 2.8',
      'CR 2.9',
      'CR 2.11',
      'CR 2.12',
    ]) {
      expect(r.requirements.some((q) => q.id === id)).toBe(true);
    }
    const status = (id: string): RequirementStatus | undefined =>
      r.requirements.find((q) => q.id === id)?.status;
    expect(status('CR 1.1')).toBe('met'); // role-scoped tokens
    expect(status('CR 1.2')).toBe('met'); // auth callout + mTLS + binding, and auth events in range
    expect(status('CR 3.1')).toBe('partly_met'); // device TLS on, but NATS without TLS
    expect(status('CR 3.9')).toBe('not_met'); // NATS without credentials
    expect(status('CR 3.5')).toBe('partly_met'); // protocol limits known, inspection setting not present
    const cr12 = r.requirements.find((q) => q.id === 'CR 1.2');
    expect(cr12?.rationale).toContain('auth.bad_credentials 15');
    expect(cr12?.sampleEventIds.length).toBe(3);
    expect(r.evidence.totalEvents).toBe(22);
    expect(r.evidence.incidents.map((i) => i.rule)).toContain('auth.brute_force');
  });

  it('the PDF text contains every requirement with its status', () => {
    const out = spawnSync('pdftotext', ['-layout', '-', '-'], { input: files.pdf, encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const text = out.stdout.replace(/\s+/g, ' ');
    for (const q of report().requirements) {
      expect(text, q.id).toContain(`${q.id} ${q.title}: ${STATUS_LABEL[q.status]}`);
    }
    // the same evidence gives the same digest in every export
    expect(text).toContain(`evidence SHA-256 ${report().evidenceDigest}`);
  });

  it('the CSV holds one RFC 4180 record per requirement and the integrity record', () => {
    const lines = (files.csv as Buffer)
      .toString('utf8')
      .split('\r\n')
      .filter((l) => l.length > 0);
    expect(lines[0]).toBe('standard,requirement,title,status,evidence_events,sample_event_ids,rationale');
    expect(lines).toHaveLength(IEC.requirements.length + 2);
    expect(lines[lines.length - 1]).toMatch(
      /^sentinel-integrity,content-sha256:[0-9a-f]{64},evidence-sha256:[0-9a-f]{64},/,
    );
    for (const q of report().requirements) {
      expect(
        lines.some((l) => l.startsWith(`iec62443-4-2,${q.id},`) && l.includes(STATUS_LABEL[q.status])),
      ).toBe(true);
    }
  });

  it('every format verifies with the configured public key, and with sentinel api verify-report', async () => {
    for (const [format, file] of Object.entries(files)) {
      const r = verifyReport(file as Buffer, publicKey);
      expect(r, format).toMatchObject({ ok: true, format, digestOk: true, signed: true, signatureOk: true });
    }
    const path = join(kit.dir, 'report.pdf');
    writeFileSync(path, files.pdf as Buffer);
    const cli = await sentinel(['api', 'verify-report', path, '--public-key', publicKey]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: true, format: 'pdf', signatureOk: true });
    const otherKey = generateKeyPairSync('ed25519')
      .publicKey.export({ type: 'spki', format: 'der' })
      .toString('base64');
    expect(verifyReport(files.json as Buffer, otherKey).ok).toBe(false);
  });

  it('changing any one byte makes verification fail', async () => {
    for (const [format, file] of Object.entries(files) as [string, Buffer][]) {
      // every byte of the first and last KiB (headers, digests, trailer) and a stride through the rest
      const positions = Array.from({ length: file.length }, (_, i) => i).filter(
        (i) => i < 1024 || i >= file.length - 1024 || i % 61 === 0,
      );
      for (const at of positions) {
        const bad = Buffer.from(file);
        bad[at] = (bad[at] as number) ^ 0x01;
        const v = verifyReport(bad, publicKey);
        if (v.ok) throw new Error(`${format}: flipping byte ${at} still verifies`);
      }
      expect(positions.length).toBeGreaterThan(1000);
    }
    const path = join(kit.dir, 'tampered.csv');
    const bad = Buffer.from(files.csv as Buffer);
    const mid = Math.floor(bad.length / 2);
    bad[mid] = (bad[mid] as number) ^ 0x20;
    writeFileSync(path, bad);
    const cli = await sentinel(['api', 'verify-report', path]);
    expect(cli.code, cli.stdout).toBe(1);
    expect(JSON.parse(cli.stdout)).toMatchObject({ ok: false, digestOk: false });
  });

  it('a report scoped to one identity summarizes only that identity evidence', async () => {
    const r = await kit.call('POST', '/api/v1/reports', kit.tokens.admin, {
      standard: 'iec62443-4-2',
      from,
      to,
      scope: { scope: 'ip', value: '198.51.100.1' },
      format: 'json',
    });
    expect(r.status).toBe(200);
    const scoped = (JSON.parse(r.bytes.toString('utf8')) as { report: Report }).report;
    expect(scoped.scope).toEqual({ scope: 'ip', value: '198.51.100.1' });
    expect(scoped.evidence.totalEvents).toBe(5);
    expect(scoped.evidence.byReason).toEqual([{ reason: 'auth.bad_credentials', events: 5 }]);
    expect(verifyReport(r.bytes, publicKey).ok).toBe(true);
  });

  it('analysts may not export reports; auditors export the NIST and CRA reports too, each verifying', async () => {
    const res = await kit.call('POST', '/api/v1/reports', kit.tokens.analyst, {
      standard: 'eu-cra',
      from,
      to,
    });
    expect(res.status).toBe(403);
    for (const standard of ['nist-800-82r3', 'eu-cra']) {
      const r = await kit.call('POST', '/api/v1/reports', kit.tokens.auditor, {
        standard,
        from,
        to,
        format: 'json',
      });
      expect(r.status).toBe(200);
      expect(verifyReport(r.bytes, publicKey).ok).toBe(true);
    }
  });
});
