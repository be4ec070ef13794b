// Verification of an exported report file (JSON, CSV or PDF, told apart by their first bytes): the
// digests must match the content and, when the file is signed, the Ed25519 signature must verify, with
// the embedded public key or, better, with the one the caller expects.
import { canonicalJson, sha256Hex } from './canonical.ts';
import { CSV_TRAILER, PDF_TRAILER } from './export.ts';
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
  if (canonicalJson(parsed) !== file.toString('utf8'))
    problems.push('the file is not in canonical form (altered)');
  const canonical = canonicalJson(report);
  const digestOk =
    sha256Hex(canonical) === integrity.contentDigest &&
    sha256Hex(canonicalJson(report.evidence)) === report.evidenceDigest &&
    report.evidenceDigest === integrity.evidenceDigest;
  if (!digestOk) problems.push('the content or evidence digest does not match');
  const sig = checkSignature(canonical, integrity.signature, integrity.publicKey, expectedKey, problems);
  return result('json', problems, sig.signed, sig.ok, digestOk);
}

/** CSV and PDF: body bytes, then a trailer line with the body's digest and signature. */
function verifyTrailed(file: Buffer, format: 'csv' | 'pdf', expectedKey?: string): VerifyResult {
  const marker = format === 'pdf' ? `\n${PDF_TRAILER}` : `\r\n${CSV_TRAILER},`;
  const at = file.lastIndexOf(Buffer.from(marker, 'latin1'));
  if (at < 0) return result(format, ['the integrity trailer is missing'], false, null, false);
  const bodyEnd = format === 'pdf' ? at + 1 : at + 2;
  const body = file.subarray(0, bodyEnd);
  const fields = trailerFields(file.subarray(bodyEnd).toString('latin1'), format);
  const problems: string[] = [];
  const digestOk = fields.sha256 === sha256Hex(body);
  if (!digestOk) problems.push('the file digest does not match its content');
  const sig = checkSignature(body, fields.signature, fields['public-key'], expectedKey, problems);
  return result(format, problems, sig.signed, sig.ok, digestOk);
}

function trailerFields(line: string, format: 'csv' | 'pdf'): Record<string, string> {
  const out: Record<string, string> = {};
  const text = line.trim();
  if (format === 'pdf') {
    for (const part of text.slice(PDF_TRAILER.length).split(' ')) {
      const eq = part.indexOf('=');
      if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
    }
  } else {
    for (const part of text.split(',').slice(1)) {
      const colon = part.indexOf(':');
      if (colon > 0) out[part.slice(0, colon).replace('file-sha256', 'sha256')] = part.slice(colon + 1);
    }
  }
  return out;
}
