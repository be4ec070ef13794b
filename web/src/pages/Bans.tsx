// The penalty box: active bans (what every enforcement node enforces now) and past decisions; responders
// ban and lift here.
import { useState } from 'react';
import { IDENTITY_SCOPES } from '../api/types.ts';
import type { BanDecision, IdentityScope } from '../api/types.ts';
import { useAction, useAsync, useInterval } from '../app/hooks.ts';
import { can, whyNot } from '../app/permissions.ts';
import { useSession } from '../app/session.tsx';
import { formatDuration } from '../components/format.ts';
import { BansTable } from '../components/tables.tsx';
import { ActionError, GatedButton, Load, Panel } from '../components/ui.tsx';
import { BAN_DURATIONS } from './Incident.tsx';

export function BansPage() {
  const { client, me } = useSession();
  const [tab, setTab] = useState<'active' | 'past'>('active');
  const list = useAsync(() => client.bans({ state: tab, limit: 200 }), [client, tab]);
  useInterval(list.reload, 10_000);
  const allowed = can(me.role, 'ban');
  const lift = useAction();

  const liftButton = (b: BanDecision) =>
    b.scope && b.value ? (
      <GatedButton
        allowed={allowed}
        why={whyNot('ban')}
        pending={lift.pending}
        label={`Lift the ban of ${b.value}`}
        onClick={() =>
          void lift
            .run(() => client.liftBan(b.scope as IdentityScope, b.value as string, 'lifted from the console'))
            .then((r) => r && list.reload())
        }
      >
        Lift
      </GatedButton>
    ) : null;

  return (
    <div className="page">
      <div className="page-head">
        <h1>Penalty box</h1>
      </div>
      <BanForm allowed={allowed} onDone={list.reload} />
      <div
        className="tabs"
        role="tablist"
        aria-label="Bans"
        onKeyDown={(e) => {
          // arrow keys move between the two tabs, as in every tablist
          if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
          const next = tab === 'active' ? 'past' : 'active';
          setTab(next);
          document.getElementById(`bans-tab-${next}`)?.focus();
        }}
      >
        {(['active', 'past'] as const).map((t) => (
          <button
            key={t}
            id={`bans-tab-${t}`}
            type="button"
            role="tab"
            aria-selected={tab === t}
            aria-controls="bans-panel"
            tabIndex={tab === t ? 0 : -1}
            className={`tab ${tab === t ? 'active' : ''}`}
            onClick={() => setTab(t)}
          >
            {t === 'active' ? 'Active' : 'Past decisions'}
          </button>
        ))}
      </div>
      <ActionError error={lift.error} />
      <div role="tabpanel" id="bans-panel" aria-labelledby={`bans-tab-${tab}`} className="table-wrap reserve">
        <Load data={list.data} error={list.error} reload={list.reload}>
          {(d) => (
            <BansTable
              items={d.items}
              label={tab === 'active' ? 'Active bans' : 'Past ban decisions'}
              {...(tab === 'active' ? { lift: liftButton } : {})}
            />
          )}
        </Load>
      </div>
    </div>
  );
}

function BanForm({ allowed, onDone }: { allowed: boolean; onDone(): void }) {
  const { client } = useSession();
  const [scope, setScope] = useState<IdentityScope>('client_id');
  const [value, setValue] = useState('');
  const [duration, setDuration] = useState(3600);
  const [reason, setReason] = useState('');
  const act = useAction();
  const [done, setDone] = useState<string | undefined>(undefined);
  return (
    <Panel title="Ban an identity" id="ban-form">
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (!value.trim()) return;
          void act
            .run(() =>
              client.ban({
                scope,
                value: value.trim(),
                durationS: duration,
                reason: reason.trim() || 'manual',
              }),
            )
            .then((r) => {
              if (r) {
                setDone(`Banned ${scope} ${value.trim()} for ${formatDuration(duration)}`);
                setValue('');
                onDone();
              }
            });
        }}
      >
        <label>
          Scope
          <select
            value={scope}
            onChange={(e) => setScope(e.target.value as IdentityScope)}
            disabled={!allowed}
          >
            {IDENTITY_SCOPES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Value
          <input
            value={value}
            onChange={(e) => setValue(e.target.value)}
            disabled={!allowed}
            required
            placeholder="e.g. sensor-17 or 10.0.0.5"
          />
        </label>
        <label>
          Duration
          <select value={duration} onChange={(e) => setDuration(Number(e.target.value))} disabled={!allowed}>
            {BAN_DURATIONS.map((s) => (
              <option key={s} value={s}>
                {formatDuration(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Reason
          <input
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            disabled={!allowed}
            placeholder="manual"
            maxLength={256}
          />
        </label>
        <div className="filter-actions">
          <GatedButton
            allowed={allowed}
            why={whyNot('ban')}
            kind="danger"
            type="submit"
            pending={act.pending}
            disabled={!value.trim()}
            onClick={() => undefined}
          >
            Ban
          </GatedButton>
        </div>
      </form>
      <div className="action-feedback" aria-live="polite">
        {done && !act.error && <p className="ok">{done}.</p>}
        <ActionError error={act.error} />
      </div>
    </Panel>
  );
}
