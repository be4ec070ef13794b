// Live events: the stream of decisions as they happen, filtered on the server, with pause. The list is
// bounded and rows have a fixed height, so a burst does not make the page jump or grow without end.
import { useState } from 'react';
import { EVENT_KINDS } from '../api/types.ts';
import type { EventKind, StreamFilter } from '../api/types.ts';
import { useStream } from '../app/stream.tsx';
import { EventHead, EventRow } from '../components/tables.tsx';
import { Empty } from '../components/ui.tsx';
import { EMPTY_FEED, FEED_MAX, addEvent, addGap, resume } from './liveBuffer.ts';

export function LivePage() {
  const [kind, setKind] = useState<EventKind | ''>('');
  const [minSeverity, setMinSeverity] = useState(0);
  const [identity, setIdentity] = useState('');
  const [applied, setApplied] = useState<{ kind: EventKind | ''; minSeverity: number; identity: string }>({
    kind: '',
    minSeverity: 0,
    identity: '',
  });
  const [paused, setPaused] = useState(false);
  const [feed, setFeed] = useState(EMPTY_FEED);

  const filter: StreamFilter = {
    types: ['event'],
    minSeverity: applied.minSeverity,
    ...(applied.kind ? { kinds: [applied.kind] } : {}),
    ...(applied.identity ? { identity: applied.identity } : {}),
  };
  const state = useStream(filter, {
    onEvent: (e) => setFeed((f) => addEvent(f, e, paused)),
    onGap: (n) => setFeed((f) => addGap(f, n)),
  });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Live events</h1>
        <span className={`live-dot live-${state}`} role="status">
          {state === 'live' ? 'Live' : state}
        </span>
      </div>
      <form
        className="filters"
        aria-label="Live event filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ kind, minSeverity, identity: identity.trim() });
          setFeed(EMPTY_FEED);
        }}
      >
        <label>
          Kind
          <select value={kind} onChange={(e) => setKind(e.target.value as EventKind | '')}>
            <option value="">any</option>
            {EVENT_KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
        <label>
          Min severity
          <select value={minSeverity} onChange={(e) => setMinSeverity(Number(e.target.value))}>
            {[0, 1, 4, 7, 9].map((s) => (
              <option key={s} value={s}>
                {s === 0 ? 'any' : `${s}+`}
              </option>
            ))}
          </select>
        </label>
        <label>
          Identity
          <input
            value={identity}
            onChange={(e) => setIdentity(e.target.value)}
            placeholder="client id, IP, user…"
          />
        </label>
        <div className="filter-actions">
          <button type="submit" className="btn btn-primary">
            Apply
          </button>
          <button
            type="button"
            className="btn"
            aria-pressed={paused}
            onClick={() => {
              if (paused) setFeed((f) => resume(f));
              setPaused(!paused);
            }}
          >
            {paused ? `Resume (${feed.held.length} waiting)` : 'Pause'}
          </button>
        </div>
      </form>
      <div className="live-banner-slot" aria-live="polite">
        {feed.missed > 0 && (
          <p className="gap-notice" role="status" data-testid="missed">
            Missed {feed.missed} event{feed.missed === 1 ? '' : 's'}: the server dropped them while this page
            fell behind.
          </p>
        )}
      </div>
      <div className="table-wrap feed" aria-busy={state !== 'live'}>
        <table className="table events" aria-label="Live events">
          <EventHead />
          <tbody>
            {feed.items.map((e) => (
              <EventRow key={e.id} e={e} />
            ))}
          </tbody>
        </table>
        {feed.items.length === 0 && (
          <Empty>{state === 'live' ? 'Waiting for events…' : 'Connecting to the live stream…'}</Empty>
        )}
      </div>
      <p className="muted small">Shows the newest {FEED_MAX} events.</p>
    </div>
  );
}
