// Tables several pages share: events, incidents, ban decisions.
import type { ReactNode } from 'react';
import type { BanDecision, Incident, SentinelEvent } from '../api/types.ts';
import { href } from '../app/router.ts';
import { formatDuration, formatTime } from './format.ts';
import { Empty, SeverityBadge, StatusBadge } from './ui.tsx';

export function eventIdentity(e: SentinelEvent): { scope: string; value: string } | undefined {
  if (e.clientId) return { scope: 'client_id', value: e.clientId };
  if (e.username) return { scope: 'username', value: e.username };
  if (e.ip) return { scope: 'ip', value: e.ip };
  return undefined;
}

export function EventRow({ e }: { e: SentinelEvent }) {
  const who = eventIdentity(e);
  return (
    <tr className={`row decision-${e.decision}`}>
      <td className="mono small">{formatTime(e.ts)}</td>
      <td>
        <SeverityBadge severity={e.severity} />
      </td>
      <td className="mono small ellipsis" title={e.reason}>
        {e.reason}
      </td>
      <td>
        <span className={`badge decision decision-${e.decision}`}>{e.decision}</span>
      </td>
      <td className="ellipsis">
        {who ? (
          <a className="mono" href={href.identity(who.scope, who.value)}>
            {who.value}
          </a>
        ) : (
          '—'
        )}
        {e.ip && who?.scope !== 'ip' && <span className="muted small"> {e.ip}</span>}
      </td>
      <td className="mono small ellipsis" title={e.topic}>
        {e.topic || '—'}
      </td>
      <td className="small ellipsis" title={e.message}>
        {e.message || e.ruleId}
      </td>
    </tr>
  );
}

export function EventsTable({ items, label }: { items: SentinelEvent[]; label: string }) {
  if (items.length === 0) return <Empty>No events.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table events" aria-label={label}>
        <EventHead />
        <tbody>
          {items.map((e) => (
            <EventRow key={e.id} e={e} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function EventHead() {
  return (
    <thead>
      <tr>
        <th scope="col">Time (UTC)</th>
        <th scope="col">Severity</th>
        <th scope="col">Reason</th>
        <th scope="col">Decision</th>
        <th scope="col">Identity</th>
        <th scope="col">Topic</th>
        <th scope="col">Detail</th>
      </tr>
    </thead>
  );
}

export function IncidentsMini({ items }: { items: Incident[] }) {
  if (items.length === 0) return <Empty>No incidents.</Empty>;
  return (
    <table className="table compact" aria-label="Incidents">
      <thead>
        <tr>
          <th scope="col">Severity</th>
          <th scope="col">Incident</th>
          <th scope="col">Status</th>
          <th scope="col">Last seen</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.incidentId}>
            <td>
              <SeverityBadge severity={i.severity} />
            </td>
            <td className="ellipsis">
              <a href={href.incident(i.incidentId)}>{i.title}</a>
            </td>
            <td>
              <StatusBadge status={i.status} />
            </td>
            <td className="mono small">{formatTime(i.lastSeen)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function BansTable(props: {
  items: BanDecision[];
  label: string;
  lift?: (b: BanDecision) => ReactNode;
  showIdentity?: boolean;
}) {
  if (props.items.length === 0) return <Empty>No bans.</Empty>;
  return (
    <table className="table bans" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col" className="col-time">
            Decided (UTC)
          </th>
          <th scope="col" className="col-action">
            Action
          </th>
          {props.showIdentity !== false && <th scope="col">Identity</th>}
          <th scope="col">Duration</th>
          <th scope="col" className="col-time">
            Until (UTC)
          </th>
          <th scope="col">Origin</th>
          <th scope="col">Reason</th>
          {props.lift && (
            <th scope="col" className="col-actions">
              <span className="visually-hidden">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {props.items.map((b, idx) => (
          <tr key={b.id ?? idx} className="row">
            <td className="mono small">{formatTime(b.ts ?? 0)}</td>
            <td>
              <span className={`badge ban-${b.action ?? 'ban'}`}>{b.action ?? 'ban'}</span>
            </td>
            {props.showIdentity !== false && (
              <td className="ellipsis">
                <span className="muted small">{b.scope}</span>{' '}
                {b.scope && b.value ? (
                  <a className="mono" href={href.identity(b.scope, b.value)}>
                    {b.value}
                  </a>
                ) : (
                  b.value
                )}
              </td>
            )}
            <td>{b.durationS ? formatDuration(b.durationS) : '—'}</td>
            <td className="mono small">{b.until ? formatTime(b.until) : '—'}</td>
            <td>{b.origin}</td>
            <td className="small ellipsis" title={b.reason}>
              {b.reason}
              {b.actor && <span className="muted"> by {b.actor}</span>}
            </td>
            {props.lift && <td>{props.lift(b)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
