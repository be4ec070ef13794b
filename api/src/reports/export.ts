// Reports as files: JSON (canonical), CSV (RFC 4180) and PDF, each with its integrity data.
//   JSON: {"integrity":{...},"report":{...}} in canonical form; the content digest is SHA-256 of the
//         canonical report, the signature covers the same bytes.
//   CSV and PDF: the file body, then one trailer (a last CSV record / a PDF comment after %%EOF):
//         marker, content digest, evidence digest, range, public key, then SHA-256 and the signature of
//         every byte before the SHA-256 field (body and trailer head alike).
// Changing any byte of a file therefore fails verification (verify.ts).
import PDFDocument from 'pdfkit';
import { canonicalJson, sha256Hex } from './canonical.ts';
import type { ReportSigner } from './sign.ts';
import { iso } from './evaluate.ts';
import { STATUS_LABEL } from './types.ts';
import type { Report } from './types.ts';

export const REPORT_FORMATS = ['json', 'csv', 'pdf'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
  pdf: 'application/pdf',
};

export const CSV_TRAILER = 'sentinel-integrity';
export const PDF_TRAILER = '%SENTINEL-INTEGRITY';

/** How the trailer of each file format is spelled. */
export const TRAILER = {
  csv: { marker: `${CSV_TRAILER},`, sep: ',', kv: ':', eol: '\r\n' },
  pdf: { marker: `${PDF_TRAILER} `, sep: ' ', kv: '=', eol: '\n' },
} as const;

/** body + trailer head, then the digest and signature of both. */
export function withTrailer(
  format: 'csv' | 'pdf',
  body: Buffer,
  meta: readonly [string, string][],
  signer?: ReportSigner,
): Buffer {
  const t = TRAILER[format];
  const fields = [...meta, ['public-key', signer ? signer.publicKey : 'none'] as const];
  const head = t.marker + fields.map(([k, v]) => `${k}${t.kv}${v}`).join(t.sep) + t.sep;
  const signed = Buffer.concat([body, Buffer.from(head, 'latin1')]);
  const tail = `sha256${t.kv}${sha256Hex(signed)}${t.sep}signature${t.kv}${signer ? signer.sign(signed) : 'none'}${t.eol}`;
  return Buffer.concat([signed, Buffer.from(tail, 'latin1')]);
}

export interface Integrity {
  algorithm: 'sha256';
  contentDigest: string;
  evidenceDigest: string;
  signature?: string;
  publicKey?: string;
}

export function contentDigest(report: Report): string {
  return sha256Hex(canonicalJson(report));
}

export function toJson(report: Report, signer?: ReportSigner): Buffer {
  const canonical = canonicalJson(report);
  const integrity: Integrity = {
    algorithm: 'sha256',
    contentDigest: sha256Hex(canonical),
    evidenceDigest: report.evidenceDigest,
    ...(signer ? { signature: signer.sign(canonical), publicKey: signer.publicKey } : {}),
  };
  return Buffer.from(canonicalJson({ integrity, report }), 'utf8');
}

/** RFC 4180 field: quoted when needed; a leading = + - @ (or tab, CR) is defused so no sheet runs it. */
export function csvField(value: string | number): string {
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRecord(fields: readonly (string | number)[]): string {
  return fields.map(csvField).join(',') + '\r\n';
}

const CSV_HEADER = [
  'standard',
  'requirement',
  'title',
  'status',
  'evidence_events',
  'sample_event_ids',
  'rationale',
];

export function toCsv(report: Report, signer?: ReportSigner): Buffer {
  let body = csvRecord(CSV_HEADER);
  for (const r of report.requirements) {
    body += csvRecord([
      report.standard.id,
      r.id,
      r.title,
      STATUS_LABEL[r.status],
      r.evidenceEvents,
      r.sampleEventIds.join(' '),
      r.rationale,
    ]);
  }
  return withTrailer(
    'csv',
    Buffer.from(body, 'utf8'),
    [
      ['content-sha256', contentDigest(report)],
      ['evidence-sha256', report.evidenceDigest],
      ['range', `${iso(report.range.from)}/${iso(report.range.to)}`],
    ],
    signer,
  );
}

export async function toPdf(report: Report, signer?: ReportSigner): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `${report.standard.name} compliance report`,
      Author: 'Sentinel',
      Subject: `${iso(report.range.from)} to ${iso(report.range.to)}`,
      CreationDate: new Date(report.generatedAt),
    },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  writePdf(doc, report);
  doc.end();
  await done;
  return withTrailer(
    'pdf',
    Buffer.concat(chunks),
    [
      ['content', contentDigest(report)],
      ['evidence', report.evidenceDigest],
    ],
    signer,
  );
}

function writePdf(doc: PDFKit.PDFDocument, report: Report): void {
  doc.font('Helvetica-Bold').fontSize(16).text(`${report.standard.name}`);
  doc.font('Helvetica').fontSize(10);
  doc.text(`Sentinel compliance report, ${report.standard.version}`);
  doc.text(`Range: ${iso(report.range.from)} to ${iso(report.range.to)}`);
  doc.text(`Scope: ${report.scope ? `${report.scope.scope} ${report.scope.value}` : 'all identities'}`);
  doc.text(`Generated: ${iso(report.generatedAt)}`);
  doc.text(`Evidence: ${report.evidence.totalEvents} events; evidence SHA-256 ${report.evidenceDigest}`);
  doc.text(`Content SHA-256: ${contentDigest(report)}`);
  const s = report.summary;
  doc.text(
    `Summary: ${s.met} met, ${s.partly_met} partly met, ${s.not_met} not met, ${s.not_applicable} not applicable`,
  );
  doc.moveDown();
  doc.font('Helvetica-Bold').text('Configuration facts');
  doc.font('Helvetica');
  for (const [k, v] of Object.entries(report.facts)) {
    doc.text(`${k}: ${v === undefined ? 'not in this configuration' : String(v)}`);
  }
  for (const r of report.requirements) {
    doc.moveDown();
    doc.font('Helvetica-Bold').fontSize(11).text(`${r.id} ${r.title}: ${STATUS_LABEL[r.status]}`);
    doc.font('Helvetica').fontSize(9).text(r.rationale);
  }
}
