// Quarantine: messages inspection held back. Review the payload (as safe text), then release it to the
// broker or discard it (responders).
import { useState } from 'react';
import type { QuarantinedMessage } from '../api/types.ts';
import { useAction, useAsync } from '../app/hooks.ts';
import { can, whyNot } from '../app/permissions.ts';
import { href } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { formatTime, payloadPreview } from '../components/format.ts';
import { ActionError, Empty, GatedButton, Load, SeverityBadge } from '../components/ui.tsx';

export function QuarantinePage() {
  const { client, me } = useSession();
  const [after, setAfter] = useState<number[]>([0]);
  const start = after[after.length - 1] ?? 0;
  const list = useAsync(() => client.quarantine({ after: start, limit: 50 }), [client, start]);
  const act = useAction();
  const allowed = can(me.role, 'quarantine');
  const [open, setOpen] = useState<number | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);

  const decide = (m: QuarantinedMessage, how: 'release' | 'discard') =>
    void act
      .run<unknown>(() => (how === 'release' ? client.release(m.seq) : client.discard(m.seq)))
      .then((r) => {
        if (r) {
          setDone(`${how === 'release' ? 'Released' : 'Discarded'} message ${m.seq} on ${m.record.topic}`);
          list.reload();
        }
      });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Quarantine</h1>
        <button type="button" className="btn btn-ghost" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <div className="action-feedback" aria-live="polite">
        {done && !act.error && <p className="ok">{done}.</p>}
        <ActionError error={act.error} />
      </div>
      <Load
        data={list.data}
        error={list.error}
        reload={list.reload}
        empty={(d) => d.items.length === 0}
        emptyText="No message is held in quarantine."
      >
        {(d) => (
          <div className="table-wrap">
            <table className="table quarantine" aria-label="Quarantined messages">
              <thead>
                <tr>
                  <th scope="col">Held (UTC)</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Topic</th>
                  <th scope="col">Client</th>
                  <th scope="col">Rule</th>
                  <th scope="col">Payload</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((m) => (
                  <tr key={m.seq} className="row">
                    <td className="mono small">{formatTime(m.record.ts)}</td>
                    <td>
                      <SeverityBadge severity={m.record.severity} />
                    </td>
                    <td className="mono small topic" title={m.record.topic}>
                      {m.record.topic}
                    </td>
                    <td className="ellipsis">
                      <a className="mono" href={href.identity('client_id', m.record.clientId)}>
                        {m.record.clientId}
                      </a>
                      <div className="muted small">{m.record.ip}</div>
                    </td>
                    <td className="small ellipsis" title={m.record.matched}>
                      {m.record.ruleName ?? m.record.rule}
                    </td>
                    <td className="payload-cell">
                      <button
                        type="button"
                        className="btn btn-ghost small"
                        aria-expanded={open === m.seq}
                        onClick={() => setOpen(open === m.seq ? undefined : m.seq)}
                      >
                        {m.record.size} B {open === m.seq ? '▾' : '▸'}
                      </button>
                      {open === m.seq && <pre className="payload">{payloadPreview(m.record.payload)}</pre>}
                    </td>
                    <td className="nowrap">
                      <GatedButton
                        allowed={allowed}
                        why={whyNot('quarantine')}
                        pending={act.pending}
                        label={`Release message ${m.seq}`}
                        onClick={() => decide(m, 'release')}
                      >
                        Release
                      </GatedButton>{' '}
                      <GatedButton
                        allowed={allowed}
                        why={whyNot('quarantine')}
                        kind="danger"
                        pending={act.pending}
                        label={`Discard message ${m.seq}`}
                        onClick={() => decide(m, 'discard')}
                      >
                        Discard
                      </GatedButton>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {d.items.length === 0 && <Empty>No message is held in quarantine.</Empty>}
          </div>
        )}
      </Load>
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="btn"
          disabled={after.length === 1}
          onClick={() => setAfter((a) => a.slice(0, -1))}
        >
          ← Back
        </button>
        <button
          type="button"
          className="btn"
          disabled={!list.data?.next}
          onClick={() => list.data?.next && setAfter((a) => [...a, list.data!.next as number])}
        >
          More →
        </button>
      </nav>
    </div>
  );
}
