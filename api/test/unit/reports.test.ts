import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ReportSigner,
  STANDARDS,
  canonicalJson,
  csvField,
  csvRecord,
  evaluate,
  factsFromConfig,
  sha256Hex,
  toCsv,
  toJson,
  toPdf,
  verifyReport,
} from '../../src/index.ts';
import type { ConfigFacts, Evidence, Report, RequirementSpec } from '../../src/index.ts';

const evidence: Evidence = {
  from: 0,
  to: 3_600_000,
  scope: null,
  totalEvents: 12,
  byReason: [
    { reason: 'auth.bad_credentials', events: 10 },
    { reason: 'acl.wildcard_denied', events: 2 },
  ],
  topRules: [],
  incidents: [],
  bans: [],
  incidentActions: 0,
  samples: { auth: ['01A', '01B'], acl: ['01C'] },
};

const facts = factsFromConfig(
  { enforcement: { tls: { enabled: true, clientCerts: 'off' }, auth: { url: 'http://x/auth' } } },
  { reportSigning: true },
);

const spec = (over: Partial<RequirementSpec>): RequirementSpec => ({
  id: 'X 1',
  title: 'x',
  summary: 'x',
  requires: [],
  evidence: [],
  how: 'x',
  ...over,
});

describe('requirement evaluation', () => {
  it('meets a requirement whose settings hold and whose evidence is present', () => {
    const r = evaluate(
      spec({
        requires: [{ fact: 'authCallout', label: 'auth' }],
        evidence: ['auth.'],
        evidenceRequired: true,
      }),
      facts,
      evidence,
      5,
    );
    expect(r.status).toBe('met');
    expect(r.rationale).toContain('auth.bad_credentials 10');
    expect(r.sampleEventIds).toEqual(['01A', '01B']);
  });

  it('caps at partly met for a weak supporting setting or missing evidence, and is not met when settings are off', () => {
    expect(
      evaluate(
        spec({ requires: [{ fact: 'tls', label: 't' }], supports: [{ fact: 'mtls', label: 'm' }] }),
        facts,
        evidence,
        5,
      ).status,
    ).toBe('partly_met');
    expect(evaluate(spec({ evidence: ['rate.'], evidenceRequired: true }), facts, evidence, 5).status).toBe(
      'partly_met',
    );
    expect(evaluate(spec({ requires: [{ fact: 'natsAuth', label: 'n' }] }), facts, evidence, 5).status).toBe(
      'not_met',
    );
    expect(evaluate(spec({ outOfScope: 'process' }), facts, evidence, 5).status).toBe('not_applicable');
    expect(evaluate(spec({ minRetentionDays: 400 }), facts, evidence, 5).status).toBe('partly_met');
  });

  it('a setting absent from the configuration counts as partly met only with evidence', () => {
    const s = spec({ requires: [{ fact: 'inspection', label: 'i' }], evidence: ['acl.'] });
    expect(facts.inspection).toBeUndefined();
    expect(evaluate(s, facts, evidence, 5).status).toBe('partly_met');
    expect(evaluate(s, facts, { ...evidence, byReason: [] }, 5).status).toBe('not_met');
  });

  it('the IEC 62443-4-2 catalog holds every required component requirement', () => {
    const ids = STANDARDS['iec62443-4-2'].requirements.map((r) => r.id);
    for (const id of [
      '1.1',
      '1.2',
      '1.7',
      '1.11',
      '2.1',
      '2.8',
      '2.9',
      '2.11',
      '2.12',
      '3.1',
      '3.5',
      '3.9',
      '6.1',
      '6.2',
      '7.1',
      '7.2',
    ]) {
      expect(ids).toContain(`CR ${id}`);
    }
    const nist = STANDARDS['nist-800-82r3'].requirements.map((r) => r.id);
    expect(nist).toEqual(['AC-3', 'AC-4', 'AC-7', 'AU-2', 'AU-3', 'AU-12', 'SC-5', 'SC-8', 'SI-4', 'SI-10']);
  });
});

describe('CSV', () => {
  it('defuses formulas and quotes as RFC 4180 asks', () => {
    expect(csvField('=1+1')).toBe('"\'=1+1"');
    expect(csvField('+cmd')).toBe('"\'+cmd"');
    expect(csvField('-2')).toBe('"\'-2"');
    expect(csvField('@SUM(A1)')).toBe('"\'@SUM(A1)"');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('plain')).toBe('plain');
  });

  it('random fields survive a round trip through an RFC 4180 parser', () => {
    const alphabet = ['a', ',', '"', '\r', '\n', '=', '+', '-', '@', ' ', 'é', "'"];
    for (let n = 0; n < 300; n++) {
      const fields = Array.from({ length: 1 + (n % 5) }, () =>
        Array.from({ length: n % 9 }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join(''),
      );
      const parsed = parseCsv(csvRecord(fields));
      expect(parsed).toEqual([fields.map((f) => (/^[=+\-@\t\r]/.test(f) ? `'${f}` : f))]);
    }
  });
});

/** A strict RFC 4180 reader for the test. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = '';
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i += 1;
          break;
        } else field += text[i++];
      }
    } else while (i < text.length && text[i] !== ',' && text[i] !== '\r') field += text[i++];
    row.push(field);
    if (text[i] === ',') i += 1;
    else if (text[i] === '\r' && text[i + 1] === '\n') {
      rows.push(row);
      row = [];
      i += 2;
    }
  }
  return rows;
}

describe('canonical JSON', () => {
  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(sha256Hex(canonicalJson({ x: 1, y: 2 }))).toBe(sha256Hex(canonicalJson({ y: 2, x: 1 })));
  });
});

function sampleReport(): Report {
  const std = STANDARDS['iec62443-4-2'];
  const requirements = std.requirements.map((r) => evaluate(r, facts as ConfigFacts, evidence, 2));
  return {
    kind: 'sentinel.compliance-report',
    version: 1,
    standard: { id: std.id, name: std.name, version: std.version },
    generatedAt: 1_700_000_000_000,
    range: { from: 0, to: 3_600_000 },
    scope: null,
    facts,
    summary: { met: 0, partly_met: 0, not_met: 0, not_applicable: 0 },
    requirements,
    evidence,
    evidenceDigest: sha256Hex(canonicalJson(evidence)),
  };
}

describe('report integrity', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const signer = new ReportSigner(privateKey);
  const pub = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

  it('signed JSON and CSV verify, and flipping a bit at any sampled byte fails', () => {
    for (const file of [toJson(sampleReport(), signer), toCsv(sampleReport(), signer)]) {
      expect(verifyReport(file, pub)).toMatchObject({ ok: true, signed: true, signatureOk: true });
      // every byte of the head and tail (envelope, digests, trailer), every 7th byte of the body
      for (let at = 0; at < file.length; at += at < 600 || at > file.length - 600 ? 1 : 7) {
        const bad = Buffer.from(file);
        bad[at] = (bad[at] as number) ^ (1 << (at % 8));
        if (verifyReport(bad, pub).ok) throw new Error(`byte ${at} flipped still verifies`);
      }
    }
  }, 30_000);

  it('an unsigned PDF verifies by digest, and fails when a public key is expected', async () => {
    const pdf = await toPdf(sampleReport());
    expect(verifyReport(pdf)).toMatchObject({ ok: true, format: 'pdf', signed: false, signatureOk: null });
    expect(verifyReport(pdf, pub).ok).toBe(false);
    expect(verifyReport(Buffer.from('hello')).ok).toBe(false);
  });

  it('refuses a signing key that is not Ed25519', () => {
    const { privateKey: rsa } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => new ReportSigner(rsa)).toThrow(/Ed25519/);
  });
});
