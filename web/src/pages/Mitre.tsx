// MITRE ATT&CK: techniques grouped by tactic, each cell shaded by its incident count in the range, marked
// when a detection rule covers it.
import { useState } from 'react';
import type { MitreTechnique } from '../api/types.ts';
import { useAsync } from '../app/hooks.ts';
import { useSession } from '../app/session.tsx';
import { MITRE_URL, RANGES, rangeMs } from '../components/format.ts';
import type { RangeId } from '../components/format.ts';
import { Load } from '../components/ui.tsx';

export function heatLevel(count: number, max: number): number {
  if (count <= 0 || max <= 0) return 0;
  return Math.max(1, Math.min(5, Math.ceil((count / max) * 5)));
}

export function groupByTactic(
  ts: MitreTechnique[],
): { matrix: string; tactic: string; techniques: MitreTechnique[] }[] {
  const groups = new Map<string, { matrix: string; tactic: string; techniques: MitreTechnique[] }>();
  for (const t of ts) {
    const key = `${t.matrix}\u0000${t.tactic}`;
    const g = groups.get(key) ?? { matrix: t.matrix, tactic: t.tactic, techniques: [] };
    g.techniques.push(t);
    groups.set(key, g);
  }
  return [...groups.values()].sort(
    (a, b) => a.matrix.localeCompare(b.matrix) || a.tactic.localeCompare(b.tactic),
  );
}

export function MitrePage() {
  const { client } = useSession();
  const [range, setRange] = useState<RangeId>('30d');
  const [now] = useState(() => Date.now());
  const cov = useAsync(() => client.mitre({ from: now - rangeMs(range), to: now }), [client, range, now]);
  return (
    <div className="page">
      <div className="page-head">
        <h1>MITRE ATT&amp;CK</h1>
        <label className="inline-field">
          Range{' '}
          <select value={range} onChange={(e) => setRange(e.target.value as RangeId)}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p className="legend muted small">
        <span className="cell-sample heat-0" /> no incidents <span className="cell-sample heat-3" /> some{' '}
        <span className="cell-sample heat-5" /> most · <span className="covered-mark">●</span> covered by a
        detection rule · <span className="uncovered-mark">○</span> not covered
      </p>
      <Load
        data={cov.data}
        error={cov.error}
        reload={cov.reload}
        rows={6}
        empty={(d) => d.techniques.length === 0}
        emptyText="The technique catalog is empty."
      >
        {(d) => {
          const max = Math.max(0, ...d.techniques.map((t) => t.incidents));
          const covered = d.techniques.filter((t) => t.covered).length;
          const total = d.techniques.reduce((n, t) => n + t.incidents, 0);
          return (
            <>
              <p className="muted">
                {covered} of {d.techniques.length} techniques covered by rules · {total}{' '}
                {total === 1 ? 'incident' : 'incidents'} in the range
              </p>
              <div className="heatmap" role="list" aria-label="Techniques by tactic">
                {groupByTactic(d.techniques).map((g) => (
                  <section
                    key={`${g.matrix}:${g.tactic}`}
                    className="heat-col"
                    role="listitem"
                    aria-label={`${g.tactic} (${g.matrix})`}
                  >
                    <h2 className="heat-tactic">
                      {g.tactic}
                      <span className="muted small"> {g.matrix}</span>
                    </h2>
                    <ul>
                      {g.techniques.map((t) => (
                        <li key={t.id}>
                          <a
                            className={`heat-cell heat-${heatLevel(t.incidents, max)} ${t.covered ? 'covered' : 'uncovered'}`}
                            href={MITRE_URL(t.id)}
                            target="_blank"
                            rel="noopener noreferrer"
                            title={`${t.id} ${t.name}: ${t.incidents} incidents; ${t.covered ? `rules ${t.rules.join(', ')}` : 'no rule covers it'}`}
                            aria-label={`${t.id} ${t.name}, ${t.incidents} incidents, ${t.covered ? 'covered' : 'not covered'}`}
                          >
                            <span className="heat-id mono">
                              {t.covered ? '●' : '○'} {t.id}
                            </span>
                            <span className="heat-name">{t.name}</span>
                            <span className="heat-count">{t.incidents}</span>
                          </a>
                        </li>
                      ))}
                    </ul>
                  </section>
                ))}
              </div>
            </>
          );
        }}
      </Load>
    </div>
  );
}
