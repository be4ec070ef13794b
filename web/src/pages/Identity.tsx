// One identity (client id, IP, username, certificate): threat score over time, strikes, bans, recent
// events and incidents; responders can ban or lift from here.
import { useState } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { IDENTITY_SCOPES } from '../api/types.ts';
import type { IdentityDetail, IdentityScope } from '../api/types.ts';
import { useAction, useAsync } from '../app/hooks.ts';
import { can, whyNot } from '../app/permissions.ts';
import { useSession } from '../app/session.tsx';
import { RANGES, formatDuration, formatNumber, formatTime, rangeMs } from '../components/format.ts';
import type { RangeId } from '../components/format.ts';
import { BansTable, EventsTable, IncidentsMini } from '../components/tables.tsx';
import { ActionError, ErrorState, GatedButton, Load, Panel, Stat } from '../components/ui.tsx';
import { BAN_DURATIONS } from './Incident.tsx';

export function IdentityPage({ scope, value }: { scope: string; value: string }) {
  if (!(IDENTITY_SCOPES as readonly string[]).includes(scope)) {
    return (
      <div className="page">
        <h1>Identity</h1>
        <ErrorState
          error={new Error(`"${scope}" is not an identity scope (${IDENTITY_SCOPES.join(', ')})`)}
        />
      </div>
    );
  }
  return <IdentityView scope={scope as IdentityScope} value={value} />;
}

function IdentityView({ scope, value }: { scope: IdentityScope; value: string }) {
  const { client } = useSession();
  const [range, setRange] = useState<RangeId>('24h');
  const [now] = useState(() => Date.now());
  const d = useAsync(
    () => client.identity(scope, value, { from: now - rangeMs(range), to: now, points: 24 }),
    [client, scope, value, range, now],
  );
  return (
    <div className="page">
      <div className="page-head">
        <h1>
          <span className="muted">{scope}</span> <span className="mono">{value}</span>
        </h1>
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
      <Load data={d.data} error={d.error} reload={d.reload} rows={8}>
        {(x) => <IdentityBody d={x} reload={d.reload} />}
      </Load>
    </div>
  );
}

function IdentityBody({ d, reload }: { d: IdentityDetail; reload(): void }) {
  const points = d.scoreOverTime.map((p) => ({ t: p.ts, score: Math.round(p.score * 100) / 100 }));
  return (
    <>
      <div className="stats">
        <Stat label="Threat score now" value={formatNumber(d.score)} />
        <Stat label="Strikes" value={d.strikes} />
        <Stat label="Banned now" value={d.banned ? 'yes' : 'no'} />
        <Stat label="Incidents" value={d.incidents.length} />
      </div>
      <div className="grid-2">
        <Panel title="Threat score over time" id="score">
          <div
            className="chart-box"
            role="img"
            aria-label={`Threat score from ${formatNumber(points[0]?.score ?? 0)} to ${formatNumber(points[points.length - 1]?.score ?? 0)}`}
          >
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: -8 }}>
                <CartesianGrid stroke="#2a3142" />
                <XAxis
                  dataKey="t"
                  type="number"
                  domain={['dataMin', 'dataMax']}
                  stroke="#8892a6"
                  tickFormatter={(t: number) => new Date(t).toISOString().slice(11, 16)}
                />
                <YAxis stroke="#8892a6" />
                <Tooltip
                  contentStyle={{ background: '#1a2030', border: '1px solid #2a3142' }}
                  labelFormatter={(t) => formatTime(Number(t))}
                />
                <Line
                  type="monotone"
                  dataKey="score"
                  stroke="#ff9f43"
                  strokeWidth={2}
                  dot={false}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </div>
        </Panel>
        <BanControl d={d} reload={reload} />
      </div>
      <Panel title="Incidents" id="incidents">
        <IncidentsMini items={d.incidents} />
      </Panel>
      <Panel title="Bans" id="bans">
        <BansTable items={d.bans} label="Ban decisions of this identity" showIdentity={false} />
      </Panel>
      <Panel title="Recent events" id="events">
        <EventsTable items={d.recentEvents} label="Recent events of this identity" />
      </Panel>
    </>
  );
}

function BanControl({ d, reload }: { d: IdentityDetail; reload(): void }) {
  const { client, me } = useSession();
  const allowed = can(me.role, 'ban');
  const act = useAction();
  const [duration, setDuration] = useState(3600);
  const [done, setDone] = useState<string | undefined>(undefined);
  return (
    <Panel title="Penalty box" id="ban">
      <p>
        {d.banned ? 'This identity is banned on every enforcement node.' : 'This identity is not banned.'}
      </p>
      <div className="action-row">
        {d.banned ? (
          <GatedButton
            allowed={allowed}
            why={whyNot('ban')}
            pending={act.pending}
            onClick={() =>
              void act
                .run(() => client.liftBan(d.scope, d.value, 'lifted from the console'))
                .then((r) => {
                  if (r) {
                    setDone('Ban lifted');
                    reload();
                  }
                })
            }
          >
            Lift ban
          </GatedButton>
        ) : (
          <>
            <label>
              Duration{' '}
              <select
                value={duration}
                onChange={(e) => setDuration(Number(e.target.value))}
                disabled={!allowed}
                title={allowed ? undefined : whyNot('ban')}
              >
                {BAN_DURATIONS.map((s) => (
                  <option key={s} value={s}>
                    {formatDuration(s)}
                  </option>
                ))}
              </select>
            </label>
            <GatedButton
              allowed={allowed}
              why={whyNot('ban')}
              kind="danger"
              pending={act.pending}
              onClick={() =>
                void act
                  .run(() =>
                    client.ban({
                      scope: d.scope,
                      value: d.value,
                      durationS: duration,
                      reason: 'banned from the console',
                    }),
                  )
                  .then((r) => {
                    if (r) {
                      setDone(`Banned for ${formatDuration(duration)}`);
                      reload();
                    }
                  })
              }
            >
              Ban
            </GatedButton>
          </>
        )}
      </div>
      <div className="action-feedback" aria-live="polite">
        {done && !act.error && <p className="ok">{done}.</p>}
        <ActionError error={act.error} />
      </div>
    </Panel>
  );
}
