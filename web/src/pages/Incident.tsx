// One incident: what happened (timeline), what it is in ATT&CK terms, who did it (threat score), and the
// actions that end it: acknowledge, assign, resolve, comment, ban the identity for a chosen time.
import { useEffect, useState } from 'react';
import type { Incident, IncidentDetail, IdentityDetail, IncidentPatch } from '../api/types.ts';
import { useAction, useAsync } from '../app/hooks.ts';
import type { Async } from '../app/hooks.ts';
import { can, whyNot } from '../app/permissions.ts';
import { href } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { useLiveIncidents } from '../app/stream.tsx';
import { MITRE_URL, formatDuration, formatNumber, formatTime } from '../components/format.ts';
import {
  ActionError,
  Empty,
  GatedButton,
  Load,
  Panel,
  SeverityBadge,
  StatusBadge,
} from '../components/ui.tsx';

export const BAN_DURATIONS = [900, 3600, 6 * 3600, 86_400, 7 * 86_400, 30 * 86_400];

export function IncidentPage({ id }: { id: string }) {
  const { client } = useSession();
  const detail = useAsync(() => client.incident(id), [client, id]);
  useLiveIncidents((i) => {
    if (i.incidentId === id) detail.reload();
  });
  return (
    <div className="page">
      <p className="crumbs">
        <a href={href.incidents()}>← Incidents</a>
      </p>
      <Load data={detail.data} error={detail.error} reload={detail.reload} rows={8}>
        {(d) => <IncidentBody d={d} reload={detail.reload} />}
      </Load>
    </div>
  );
}

function IncidentBody({ d, reload }: { d: IncidentDetail; reload(): void }) {
  const { client } = useSession();
  // analytics derives status and assignee from the action events a moment after the api accepted
  // them: show the api's answer until the store agrees, and look again shortly
  const [pending, setPending] = useState<Pick<Incident, 'status' | 'assignee'> | undefined>(undefined);
  const stored = d.incident;
  const caughtUp = pending && stored.status === pending.status && stored.assignee === pending.assignee;
  const i: Incident = pending && !caughtUp ? { ...stored, ...pending } : stored;
  const ident = useAsync(
    () => client.identity(i.scope, i.identity, { points: 2 }),
    [client, i.scope, i.identity],
  );
  useEffect(() => {
    if (!pending || caughtUp) return;
    const t = setTimeout(reload, 1500);
    return () => clearTimeout(t);
  }, [pending, caughtUp, reload, stored]);
  const done = (now?: Pick<Incident, 'status' | 'assignee'>) => {
    if (now) setPending(now);
    reload();
    ident.reload();
  };
  return (
    <>
      <IncidentHead i={i} />
      <div className="grid-2">
        <div>
          <Panel title="Timeline" id="timeline">
            {d.timeline.length === 0 ? (
              <Empty>No events are stored for this incident yet.</Empty>
            ) : (
              <ol className="timeline" aria-label="Incident timeline">
                {d.timeline.map((t) => (
                  <li key={`${t.type}:${t.id}`} className={`tl tl-${t.type}`}>
                    <span className="tl-time mono small">{formatTime(t.ts)}</span>
                    <span className="badge tl-kind">{t.type}</span>
                    <span className="tl-summary">
                      {t.summary}
                      {t.actor && <span className="muted"> — {t.actor}</span>}
                    </span>
                  </li>
                ))}
              </ol>
            )}
          </Panel>
        </div>
        <div>
          <Actions i={i} banned={ident.data?.banned === true} onDone={done} />
          <Attack i={i} />
          <IdentityCard i={i} ident={ident} />
          {i.remediation && (
            <Panel title="Remediation" id="remediation">
              <p>{i.remediation}</p>
            </Panel>
          )}
        </div>
      </div>
    </>
  );
}

function IncidentHead({ i }: { i: Incident }) {
  return (
    <header className="incident-head">
      <h1>{i.title}</h1>
      <div className="meta-row">
        <SeverityBadge severity={i.severity} />
        <StatusBadge status={i.status} />
        <span className="muted">rule</span> <span className="mono">{i.rule}</span>
        <span className="muted">events</span> {i.eventCount}
        <span className="muted">first</span> {formatTime(i.firstSeen)}
        <span className="muted">last</span> {formatTime(i.lastSeen)}
        <span className="muted">assignee</span> {i.assignee || 'nobody'}
      </div>
    </header>
  );
}

function Attack({ i }: { i: Incident }) {
  return (
    <Panel title="MITRE ATT&CK" id="attack">
      <dl className="kv">
        <dt>Technique</dt>
        <dd>
          {i.technique ? (
            <a href={MITRE_URL(i.technique)} target="_blank" rel="noopener noreferrer">
              {i.technique} <span className="visually-hidden">(opens the ATT&CK page in a new tab)</span>↗
            </a>
          ) : (
            '—'
          )}
        </dd>
        <dt>Tactic</dt>
        <dd>{i.tactic || '—'}</dd>
      </dl>
    </Panel>
  );
}

function IdentityCard({ i, ident }: { i: Incident; ident: Async<IdentityDetail> }) {
  return (
    <Panel title="Identity" id="identity">
      <p>
        <span className="muted">{i.scope}</span>{' '}
        <a className="mono" href={href.identity(i.scope, i.identity)}>
          {i.identity}
        </a>
      </p>
      <Load data={ident.data} error={ident.error} reload={ident.reload} rows={1}>
        {(d) => (
          <dl className="kv">
            <dt>Threat score</dt>
            <dd className="score" data-testid="threat-score">
              {formatNumber(d.score)}
            </dd>
            <dt>Strikes</dt>
            <dd>{d.strikes}</dd>
            <dt>Banned now</dt>
            <dd data-testid="banned-now">{d.banned ? 'yes' : 'no'}</dd>
          </dl>
        )}
      </Load>
    </Panel>
  );
}

function Actions(props: {
  i: Incident;
  banned: boolean;
  onDone(now?: Pick<Incident, 'status' | 'assignee'>): void;
}) {
  const { i, banned, onDone } = props;
  const { client, me } = useSession();
  const triage = can(me.role, 'triage');
  const banOk = can(me.role, 'ban');
  const act = useAction();
  const [assignee, setAssignee] = useState(i.assignee);
  const [note, setNote] = useState('');
  const [duration, setDuration] = useState(3600);
  const [done, setDone] = useState<string | undefined>(undefined);

  const patch = async (p: IncidentPatch, what: string) => {
    const r = await act.run(() => client.updateIncident(i.incidentId, p));
    if (r) {
      setDone(what);
      onDone({ status: r.status as Incident['status'], assignee: r.assignee });
    }
  };
  const ban = async () => {
    const r = await act.run(() =>
      client.ban({
        scope: i.scope,
        value: i.identity,
        durationS: duration,
        reason: `incident ${i.incidentId}`,
      }),
    );
    if (r) {
      setDone(`Banned ${i.scope} ${i.identity} for ${formatDuration(r.decision.durationS ?? duration)}`);
      onDone();
    }
  };

  return (
    <Panel title="Actions" id="actions">
      <div className="action-row">
        <GatedButton
          allowed={triage}
          why={whyNot('triage')}
          disabled={i.status !== 'new'}
          pending={act.pending}
          onClick={() => void patch({ status: 'acknowledged' }, 'Acknowledged')}
        >
          Acknowledge
        </GatedButton>
        <GatedButton
          allowed={triage}
          why={whyNot('triage')}
          disabled={i.status === 'resolved'}
          pending={act.pending}
          onClick={() => void patch({ status: 'resolved' }, 'Resolved')}
        >
          Resolve
        </GatedButton>
        {i.status === 'resolved' && (
          <GatedButton
            allowed={triage}
            why={whyNot('triage')}
            pending={act.pending}
            onClick={() => void patch({ status: 'new' }, 'Reopened')}
          >
            Reopen
          </GatedButton>
        )}
      </div>
      <div className="action-row">
        <label className="grow">
          Assignee
          <input
            value={assignee}
            onChange={(e) => setAssignee(e.target.value)}
            disabled={!triage}
            title={triage ? undefined : whyNot('triage')}
            maxLength={128}
          />
        </label>
        <GatedButton
          allowed={triage}
          why={whyNot('triage')}
          pending={act.pending}
          disabled={assignee === i.assignee}
          onClick={() => void patch({ assignee }, `Assigned to ${assignee || 'nobody'}`)}
        >
          Assign
        </GatedButton>
      </div>
      <div className="action-row">
        <label className="grow">
          Comment
          <textarea
            rows={2}
            value={note}
            onChange={(e) => setNote(e.target.value)}
            disabled={!triage}
            title={triage ? undefined : whyNot('triage')}
            maxLength={4000}
          />
        </label>
        <GatedButton
          allowed={triage}
          why={whyNot('triage')}
          pending={act.pending}
          disabled={!note.trim()}
          onClick={() => void patch({ notes: note.trim() }, 'Comment added').then(() => setNote(''))}
        >
          Comment
        </GatedButton>
      </div>
      <div className="action-row ban-row">
        <label className="grow">
          Ban {i.scope} for
          <select
            value={duration}
            onChange={(e) => setDuration(Number(e.target.value))}
            disabled={!banOk}
            title={banOk ? undefined : whyNot('ban')}
            aria-label="Ban duration"
          >
            {BAN_DURATIONS.map((d) => (
              <option key={d} value={d}>
                {formatDuration(d)}
              </option>
            ))}
          </select>
        </label>
        <GatedButton
          allowed={banOk}
          why={whyNot('ban')}
          disabled={banned}
          kind="danger"
          pending={act.pending}
          onClick={() => void ban()}
          label={banned ? `${i.identity} is banned` : `Ban ${i.identity}`}
        >
          {banned ? 'Banned' : 'Ban identity'}
        </GatedButton>
      </div>
      <div className="action-feedback" aria-live="polite">
        {done && !act.error && <p className="ok">{done}.</p>}
        <ActionError error={act.error} />
      </div>
    </Panel>
  );
}
