// Compliance: pick a standard and a range, preview each requirement's status, download the report as
// PDF, CSV or JSON (auditors and admins; the api refuses everyone else).
import { useState } from 'react';
import { REPORT_FORMATS } from '../api/types.ts';
import type { ComplianceReport, ReportFormat, ReportRequest } from '../api/types.ts';
import { useAction, useAsync } from '../app/hooks.ts';
import { can, whyNot } from '../app/permissions.ts';
import { useSession } from '../app/session.tsx';
import { formatTime } from '../components/format.ts';
import { ActionError, GatedButton, Load, Panel } from '../components/ui.tsx';

const STATUS_TEXT: Record<string, string> = {
  met: 'Met',
  partly_met: 'Partly met',
  not_met: 'Not met',
  not_applicable: 'Not applicable',
};

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Inclusive days in UTC: from 00:00 of the first to 24:00 of the last. */
export function dayRange(from: string, to: string): { from: number; to: number } {
  return { from: Date.parse(`${from}T00:00:00Z`), to: Date.parse(`${to}T23:59:59.999Z`) };
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function CompliancePage() {
  const { me } = useSession();
  if (!can(me.role, 'reports')) {
    return (
      <div className="page">
        <h1>Compliance</h1>
        <p className="notice">
          Compliance reports are for auditors and admins. {whyNot('reports')}; you are signed in as {me.role}.
        </p>
      </div>
    );
  }
  return <Reports />;
}

function Reports() {
  const { client } = useSession();
  const standards = useAsync(() => client.standards(), [client]);
  const [standard, setStandard] = useState('');
  const [from, setFrom] = useState(() => day(Date.now() - 30 * 86_400_000));
  const [to, setTo] = useState(() => day(Date.now()));
  const [preview, setPreview] = useState<ComplianceReport | undefined>(undefined);
  const act = useAction();
  const chosen = standard || standards.data?.items[0]?.id || '';
  const req = (): ReportRequest => ({ standard: chosen, ...dayRange(from, to) });
  const badRange = !from || !to || dayRange(from, to).from > dayRange(from, to).to;

  const download = (format: ReportFormat) =>
    void act.run(() => client.downloadReport(req(), format)).then((d) => d && saveBlob(d.blob, d.filename));

  return (
    <div className="page">
      <div className="page-head">
        <h1>Compliance</h1>
      </div>
      <Load data={standards.data} error={standards.error} reload={standards.reload} rows={2}>
        {(s) => (
          <Panel title="Report" id="report-form">
            <form
              className="filters"
              onSubmit={(e) => {
                e.preventDefault();
                void act.run(() => client.previewReport(req())).then((r) => r && setPreview(r));
              }}
            >
              <label>
                Standard
                <select value={chosen} onChange={(e) => setStandard(e.target.value)}>
                  {s.items.map((x) => (
                    <option key={x.id} value={x.id}>
                      {x.name} {x.version}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                From (UTC)
                <input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} required />
              </label>
              <label>
                To (UTC)
                <input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} required />
              </label>
              <div className="filter-actions">
                <button
                  type="submit"
                  className="btn btn-primary"
                  disabled={act.pending || badRange || !chosen}
                >
                  Preview
                </button>
                {REPORT_FORMATS.map((f) => (
                  <GatedButton
                    key={f}
                    allowed
                    why=""
                    pending={false}
                    disabled={act.pending || badRange || !chosen}
                    onClick={() => download(f)}
                    label={`Download ${f.toUpperCase()}`}
                  >
                    Download {f.toUpperCase()}
                  </GatedButton>
                ))}
              </div>
            </form>
            <div className="action-feedback" aria-live="polite">
              {act.pending && <p className="muted">Building the report…</p>}
              <ActionError error={act.error} />
            </div>
          </Panel>
        )}
      </Load>
      {preview && <Preview r={preview} />}
    </div>
  );
}

function Preview({ r }: { r: ComplianceReport }) {
  return (
    <Panel title={`${r.standard.name} ${r.standard.version}`} id="preview">
      <p className="muted small">
        {formatTime(r.range.from)} to {formatTime(r.range.to)} · generated {formatTime(r.generatedAt)} ·
        evidence digest <span className="mono">{r.evidenceDigest.slice(0, 16)}…</span>
      </p>
      <div className="summary-row">
        {Object.entries(r.summary).map(([k, v]) => (
          <span key={k} className={`badge req-${k}`}>
            {STATUS_TEXT[k] ?? k}: {v}
          </span>
        ))}
      </div>
      <table className="table requirements" aria-label="Requirement statuses">
        <thead>
          <tr>
            <th scope="col">Requirement</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Evidence
            </th>
            <th scope="col">Rationale</th>
          </tr>
        </thead>
        <tbody>
          {r.requirements.map((q) => (
            <tr key={q.id}>
              <td>
                <span className="mono">{q.id}</span>
                <div className="small muted">{q.title}</div>
              </td>
              <td>
                <span className={`badge req-${q.status}`}>{STATUS_TEXT[q.status] ?? q.status}</span>
              </td>
              <td className="num">{q.evidenceEvents}</td>
              <td className="small rationale">{q.rationale}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}
