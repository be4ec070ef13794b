// Verification of an exported report file (JSON, CSV or PDF, told apart by their first bytes): the
// digests must match the content and, when the file is signed, the Ed25519 signature must verify, with
// the embedded public key or, better, with the one the caller expects.
import { canonicalJson, sha256Hex } from './canonical.ts';
import { TRAILER } from './export.ts';
import type { ReportFormat } from './export.ts';
import { verifySignature } from './sign.ts';

export interface VerifyResult {
  ok: boolean;
  format: ReportFormat | 'unknown';
  digestOk: boolean;
  signed: boolean;
  signatureOk: boolean | null;
  problems: string[];
}

function result(
  format: VerifyResult['format'],
  problems: string[],
  signed: boolean,
  sigOk: boolean | null,
  digestOk: boolean,
): VerifyResult {
  return { ok: problems.length === 0, format, digestOk, signed, signatureOk: sigOk, problems };
}

function checkSignature(
  data: Buffer | string,
  signature: string | undefined,
  publicKey: string | undefined,
  expectedKey: string | undefined,
  problems: string[],
): { signed: boolean; ok: boolean | null } {
  const signed = signature !== undefined && signature !== 'none';
  if (!signed) {
    if (expectedKey) problems.push('the report is not signed, but a public key was expected');
    return { signed, ok: null };
  }
  if (expectedKey && publicKey !== expectedKey) problems.push('the report was signed with another key');
  const ok = publicKey !== undefined && verifySignature(data, signature, publicKey);
  if (!ok) problems.push('the signature does not verify');
  return { signed, ok };
}

export function verifyReport(file: Buffer, expectedPublicKey?: string): VerifyResult {
  if (file.subarray(0, 5).toString('latin1') === '%PDF-')
    return verifyTrailed(file, 'pdf', expectedPublicKey);
  if (file[0] === 0x7b) return verifyJson(file, expectedPublicKey);
  if (file.subarray(0, 9).toString('utf8') === 'standard,')
    return verifyTrailed(file, 'csv', expectedPublicKey);
  return result('unknown', ['not a Sentinel report (neither JSON, CSV nor PDF)'], false, null, false);
}

function verifyJson(file: Buffer, expectedKey?: string): VerifyResult {
  const problems: string[] = [];
  let parsed: {
    integrity?: Record<string, string>;
    report?: { evidence?: unknown; evidenceDigest?: string };
  };
  try {
    parsed = JSON.parse(file.toString('utf8')) as typeof parsed;
  } catch {
    return result('json', ['the file is not valid JSON'], false, null, false);
  }
  const integrity = parsed.integrity ?? {};
  const report = parsed.report;
  if (!report) return result('json', ['the file holds no report'], false, null, false);
  const canonical = canonicalJson(report);
  const digestOk =
    sha256Hex(canonical) === integrity.contentDigest &&
    sha256Hex(canonicalJson(report.evidence)) === report.evidenceDigest &&
    report.evidenceDigest === integrity.evidenceDigest;
  if (!digestOk) problems.push('the content or evidence digest does not match');
  // the file must be exactly what the exporter writes for this report: no extra, renamed or reformatted byte
  const expected = canonicalJson({
    integrity: {
      algorithm: 'sha256',
      contentDigest: sha256Hex(canonical),
      evidenceDigest: report.evidenceDigest,
      signature: integrity.signature,
      publicKey: integrity.publicKey,
    },
    report,
  });
  if (expected !== file.toString('utf8'))
    problems.push('the file is not the canonical form of its report (altered)');
  const sig = checkSignature(canonical, integrity.signature, integrity.publicKey, expectedKey, problems);
  return result('json', problems, sig.signed, sig.ok, digestOk);
}

/** CSV and PDF: body and trailer head, then exactly `sha256<kv><hex><sep>signature<kv><b64|none><eol>`. */
function verifyTrailed(file: Buffer, format: 'csv' | 'pdf', expectedKey?: string): VerifyResult {
  const t = TRAILER[format];
  const at = file.lastIndexOf(Buffer.from(`${t.eol}${t.marker}`, 'latin1'));
  const tailAt = at < 0 ? -1 : file.indexOf(Buffer.from(`${t.sep}sha256${t.kv}`, 'latin1'), at);
  if (at < 0 || tailAt < 0) return result(format, ['the integrity trailer is missing'], false, null, false);
  const signed = file.subarray(0, tailAt + 1);
  const tail = file.subarray(tailAt + 1).toString('latin1');
  const m = new RegExp(`^sha256${t.kv}([0-9a-f]{64})${t.sep}signature${t.kv}([A-Za-z0-9+/=]+)${t.eol}$`).exec(
    tail,
  );
  if (!m) return result(format, ['the integrity trailer is malformed'], false, null, false);
  const head = file.subarray(at + t.eol.length + t.marker.length, tailAt).toString('latin1');
  const fields = Object.fromEntries(
    head.split(t.sep).map((f) => [f.slice(0, f.indexOf(t.kv)), f.slice(f.indexOf(t.kv) + 1)]),
  );
  const problems: string[] = [];
  const digestOk = m[1] === sha256Hex(signed);
  if (!digestOk) problems.push('the file digest does not match its content');
  const sig = checkSignature(signed, m[2], fields['public-key'], expectedKey, problems);
  return result(format, problems, sig.signed, sig.ok, digestOk);
}
