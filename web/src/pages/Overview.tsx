// Overview: the numbers an analyst glances at during an attack, refreshed every few seconds and at once
// when an incident arrives on the live stream.
import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Overview } from '../api/types.ts';
import { useAsync, useInterval } from '../app/hooks.ts';
import { href } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { useLiveIncidents } from '../app/stream.tsx';
import { formatNumber, severityBand } from '../components/format.ts';
import { Empty, Load, Panel, Stat } from '../components/ui.tsx';

const WINDOWS = [
  { s: 60, label: '1 min' },
  { s: 300, label: '5 min' },
  { s: 3600, label: '1 hour' },
  { s: 86_400, label: '24 hours' },
];

export const SEVERITY_COLOR: Record<string, string> = {
  critical: '#ff5c7a',
  high: '#ff9f43',
  medium: '#f5d547',
  low: '#5cc8ff',
  info: '#8892a6',
};

export function OverviewPage() {
  const { client } = useSession();
  const [windowS, setWindowS] = useState(300);
  const ov = useAsync(() => client.overview(windowS), [client, windowS]);
  useInterval(ov.reload, 5000);
  useLiveIncidents(() => ov.reload());

  return (
    <div className="page">
      <div className="page-head">
        <h1>Overview</h1>
        <label className="inline-field">
          Window{' '}
          <select
            value={windowS}
            onChange={(e) => setWindowS(Number(e.target.value))}
            aria-label="Time window"
          >
            {WINDOWS.map((w) => (
              <option key={w.s} value={w.s}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Load data={ov.data} error={ov.error} reload={ov.reload} rows={6}>
        {(d) => <OverviewBody d={d} />}
      </Load>
    </div>
  );
}

function OverviewBody({ d }: { d: Overview }) {
  const open = d.openIncidentsBySeverity.reduce((n, s) => n + s.count, 0);
  const chart = [...d.openIncidentsBySeverity]
    .sort((a, b) => a.severity - b.severity)
    .map((s) => ({ name: String(s.severity), count: s.count, band: severityBand(s.severity) }));
  return (
    <>
      <div className="stats" aria-label="Key numbers">
        <Stat label="Connections accepted" value={formatNumber(d.connections)} />
        <Stat label="Connections refused" value={formatNumber(d.connectionsRefused)} />
        <Stat
          label="Events per second"
          value={formatNumber(d.eventsPerSecond)}
          hint={`${d.events} events in the window`}
        />
        <Stat label="Open incidents" value={formatNumber(open)} />
      </div>
      <div className="grid-3">
        <Panel title="Open incidents by severity" id="sev">
          {chart.length === 0 ? (
            <Empty>No open incidents.</Empty>
          ) : (
            <div
              className="chart-box"
              role="img"
              aria-label={`Open incidents by severity: ${chart.map((c) => `severity ${c.name}: ${c.count}`).join(', ')}`}
            >
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={chart} margin={{ top: 8, right: 8, bottom: 8, left: -16 }}>
                  <CartesianGrid stroke="#2a3142" vertical={false} />
                  <XAxis
                    dataKey="name"
                    stroke="#8892a6"
                    label={{ value: 'severity', position: 'insideBottom', offset: -4, fill: '#8892a6' }}
                  />
                  <YAxis allowDecimals={false} stroke="#8892a6" />
                  <Tooltip
                    contentStyle={{ background: '#1a2030', border: '1px solid #2a3142' }}
                    cursor={{ fill: '#ffffff10' }}
                  />
                  <Bar dataKey="count" isAnimationActive={false}>
                    {chart.map((c) => (
                      <Cell key={c.name} fill={SEVERITY_COLOR[c.band]} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </div>
          )}
        </Panel>
        <Panel title="Top attacked topics" id="topics">
          {d.topAttackedTopics.length === 0 ? (
            <Empty>No refused or flagged traffic on any topic.</Empty>
          ) : (
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col">Topic</th>
                  <th scope="col" className="num">
                    Events
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.topAttackedTopics.map((t) => (
                  <tr key={t.topic}>
                    <td className="mono ellipsis" title={t.topic}>
                      {t.topic}
                    </td>
                    <td className="num">{formatNumber(t.events)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
        <Panel title="Top offending identities" id="offenders">
          {d.topOffenders.length === 0 ? (
            <Empty>No identity has strikes in the window.</Empty>
          ) : (
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col">Identity</th>
                  <th scope="col" className="num">
                    Strikes
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.topOffenders.map((o) => (
                  <tr key={`${o.scope}:${o.identity}`}>
                    <td className="ellipsis">
                      <span className="muted">{o.scope}</span>{' '}
                      <a className="mono" href={href.identity(o.scope, o.identity)}>
                        {o.identity}
                      </a>
                    </td>
                    <td className="num">{formatNumber(o.strikes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
      </div>
    </>
  );
}
