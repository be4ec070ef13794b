// Incidents: filters, sortable columns, cursor pages, live arrivals, and j / k / Enter to move and open.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { KeyboardEvent as ReactKeyboardEvent, MouseEvent as ReactMouseEvent } from 'react';
import { IDENTITY_SCOPES, INCIDENT_STATUSES } from '../api/types.ts';
import type { Incident, IncidentSort } from '../api/types.ts';
import { useAsync, useInterval } from '../app/hooks.ts';
import { href, navigate } from '../app/router.ts';
import { useSession } from '../app/session.tsx';
import { useLiveIncidents } from '../app/stream.tsx';
import { RANGES, formatAgo, formatTime } from '../components/format.ts';
import { Empty, ErrorState, Loading, SeverityBadge, StatusBadge } from '../components/ui.tsx';
import { DEFAULT_FORM, matchesForm, mergeLive, toQuery } from './incidentFilter.ts';
import type { IncidentForm } from './incidentFilter.ts';

export const PAGE_SIZE = 25;
/** Rows of space kept for the table, so the first live arrivals do not push the pager down. */
const RESERVED_ROWS = 10;

const COLUMNS: { key: IncidentSort | null; label: string; className?: string }[] = [
  { key: 'severity', label: 'Severity' },
  { key: null, label: 'Incident' },
  { key: null, label: 'Technique' },
  { key: null, label: 'Identity' },
  { key: null, label: 'Status' },
  { key: 'eventCount', label: 'Events', className: 'num' },
  { key: 'firstSeen', label: 'First seen' },
  { key: 'lastSeen', label: 'Last seen' },
];

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return (
    !!el &&
    (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable)
  );
}

export function IncidentsPage() {
  const { client } = useSession();
  const [form, setForm] = useState<IncidentForm>(DEFAULT_FORM);
  const [applied, setApplied] = useState<IncidentForm>(DEFAULT_FORM);
  /** cursors of the pages before the current one; the current page's cursor is the last */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const [now, setNow] = useState(() => Date.now());
  const page = useAsync(
    () => client.incidents(toQuery(applied, now, PAGE_SIZE, cursor)),
    [client, applied, cursor, now],
  );
  const [rows, setRows] = useState<Incident[] | undefined>(undefined);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [waiting, setWaiting] = useState(0);
  const [selected, setSelected] = useState(0);
  const tableRef = useRef<HTMLTableSectionElement>(null);
  // "12s ago" stays true while the page is open
  const [clock, setClock] = useState(() => Date.now());
  useInterval(() => setClock(Date.now()), 10_000);

  useEffect(() => {
    if (page.data) {
      setRows(page.data.items);
      setSelected((s) => Math.min(s, Math.max(0, page.data!.items.length - 1)));
    }
  }, [page.data]);

  const firstPageNewest = cursors.length === 1 && applied.sort === 'lastSeen' && applied.order === 'desc';
  useLiveIncidents((i) => {
    if (!matchesForm(i, applied, Date.now())) return;
    if (firstPageNewest) {
      setRows((r) => mergeLive(r ?? [], i, PAGE_SIZE));
      setFresh((f) => new Set(f).add(i.incidentId));
    } else if (!rows?.some((r) => r.incidentId === i.incidentId)) {
      setWaiting((n) => n + 1);
    }
  });

  const apply = useCallback((f: IncidentForm) => {
    setApplied(f);
    setCursors([undefined]);
    setNow(Date.now());
    setWaiting(0);
    setFresh(new Set());
    setSelected(0);
  }, []);

  const sortBy = (key: IncidentSort) => {
    const order: 'asc' | 'desc' = form.sort === key && form.order === 'desc' ? 'asc' : 'desc';
    const f = { ...form, sort: key, order };
    setForm(f);
    apply(f);
  };

  // j / k / Enter anywhere on the page except while typing in a field
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.altKey || e.ctrlKey || e.metaKey || !rows?.length) return;
      if (e.key === 'j') setSelected((s) => Math.min(rows.length - 1, s + 1));
      else if (e.key === 'k') setSelected((s) => Math.max(0, s - 1));
      else if (
        e.key === 'Enter' &&
        (e.target as HTMLElement | null)?.tagName !== 'A' &&
        (e.target as HTMLElement | null)?.tagName !== 'BUTTON'
      ) {
        const r = rows[selected];
        if (r) navigate(href.incident(r.incidentId));
      } else return;
      e.preventDefault();
    };
    document.addEventListener('keydown', on);
    return () => document.removeEventListener('keydown', on);
  }, [rows, selected]);

  useEffect(() => {
    tableRef.current
      ?.querySelector<HTMLElement>(`[data-row="${selected}"]`)
      ?.scrollIntoView?.({ block: 'nearest' });
  }, [selected]);

  return (
    <div className="page">
      <div className="page-head">
        <h1>Incidents</h1>
        <p className="muted kbd-hint">
          <kbd>j</kbd> / <kbd>k</kbd> to move, <kbd>Enter</kbd> to open
        </p>
      </div>
      <FilterBar
        form={form}
        setForm={setForm}
        onApply={() => apply(form)}
        onReset={() => {
          setForm(DEFAULT_FORM);
          apply(DEFAULT_FORM);
        }}
      />
      <div className="live-banner-slot" aria-live="polite">
        {waiting > 0 && (
          <button type="button" className="btn btn-ghost live-banner" onClick={() => apply(applied)}>
            {waiting} new incident{waiting === 1 ? '' : 's'} — show
          </button>
        )}
      </div>
      {page.error !== undefined && <ErrorState error={page.error} retry={page.reload} />}
      {rows === undefined && page.error === undefined && <Loading rows={8} />}
      {rows !== undefined && (
        <div className="table-wrap incidents-table" style={{ minHeight: `${RESERVED_ROWS * 48 + 40}px` }}>
          <table className="table" aria-label="Incidents" aria-rowcount={rows.length}>
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th
                    key={c.label}
                    scope="col"
                    className={c.className}
                    aria-sort={
                      c.key && applied.sort === c.key
                        ? applied.order === 'asc'
                          ? 'ascending'
                          : 'descending'
                        : undefined
                    }
                  >
                    {c.key ? (
                      <button type="button" className="sort" onClick={() => sortBy(c.key as IncidentSort)}>
                        {c.label}
                        <span aria-hidden="true">
                          {applied.sort === c.key ? (applied.order === 'asc' ? ' ▲' : ' ▼') : ''}
                        </span>
                      </button>
                    ) : (
                      c.label
                    )}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody ref={tableRef}>
              {rows.map((r, idx) => (
                <IncidentRow
                  key={r.incidentId}
                  r={r}
                  idx={idx}
                  selected={idx === selected}
                  fresh={fresh.has(r.incidentId)}
                  now={clock}
                  onSelect={() => setSelected(idx)}
                />
              ))}
            </tbody>
          </table>
          {rows.length === 0 && <Empty>No incident matches these filters.</Empty>}
        </div>
      )}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="btn"
          disabled={cursors.length === 1}
          onClick={() => {
            setCursors((c) => c.slice(0, -1));
            setSelected(0);
          }}
        >
          ← Newer
        </button>
        <span className="muted">Page {cursors.length}</span>
        <button
          type="button"
          className="btn"
          disabled={!page.data?.nextCursor}
          onClick={() => {
            const next = page.data?.nextCursor ?? undefined;
            if (next) setCursors((c) => [...c, next]);
            setSelected(0);
          }}
        >
          Older →
        </button>
      </nav>
    </div>
  );
}

function IncidentRow(props: {
  now: number;
  r: Incident;
  idx: number;
  selected: boolean;
  fresh: boolean;
  onSelect(): void;
}) {
  const { r } = props;
  const open = (e: ReactKeyboardEvent | ReactMouseEvent) => {
    if ((e.target as HTMLElement).tagName === 'A') return;
    navigate(href.incident(r.incidentId));
  };
  return (
    <tr
      data-row={props.idx}
      data-incident={r.incidentId}
      className={`row ${props.selected ? 'selected' : ''} ${props.fresh ? 'fresh' : ''}`}
      aria-selected={props.selected}
      onClick={(e) => {
        props.onSelect();
        open(e);
      }}
    >
      <td>
        <SeverityBadge severity={r.severity} />
      </td>
      <td className="ellipsis title-cell">
        <a href={href.incident(r.incidentId)} tabIndex={props.selected ? 0 : -1}>
          {r.title}
        </a>
        <div className="muted small mono">{r.rule}</div>
      </td>
      <td className="mono">
        {r.technique}
        <div className="muted small">{r.tactic}</div>
      </td>
      <td className="ellipsis">
        <span className="muted small">{r.scope}</span>
        <div className="mono">{r.identity}</div>
      </td>
      <td>
        <StatusBadge status={r.status} />
      </td>
      <td className="num">{r.eventCount}</td>
      <td className="small" title={formatTime(r.firstSeen)}>
        {formatAgo(r.firstSeen, props.now)}
      </td>
      <td className="small" title={formatTime(r.lastSeen)}>
        {formatAgo(r.lastSeen, props.now)}
      </td>
    </tr>
  );
}

function FilterBar(props: {
  form: IncidentForm;
  setForm(f: IncidentForm): void;
  onApply(): void;
  onReset(): void;
}) {
  const { form, setForm } = props;
  const set = <K extends keyof IncidentForm>(k: K, v: IncidentForm[K]) => setForm({ ...form, [k]: v });
  return (
    <form
      className="filters"
      aria-label="Incident filters"
      onSubmit={(e) => {
        e.preventDefault();
        props.onApply();
      }}
    >
      <label>
        Time
        <select value={form.range} onChange={(e) => set('range', e.target.value as IncidentForm['range'])}>
          {RANGES.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
          <option value="all">All time</option>
        </select>
      </label>
      <label>
        Min severity
        <select value={form.minSeverity} onChange={(e) => set('minSeverity', Number(e.target.value))}>
          {[0, 1, 4, 7, 9].map((s) => (
            <option key={s} value={s}>
              {s === 0 ? 'any' : `${s}+`}
            </option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select value={form.status} onChange={(e) => set('status', e.target.value as IncidentForm['status'])}>
          <option value="">any</option>
          {INCIDENT_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Technique
        <input
          value={form.technique}
          placeholder="T1110"
          size={8}
          onChange={(e) => set('technique', e.target.value)}
        />
      </label>
      <label>
        Scope
        <select value={form.scope} onChange={(e) => set('scope', e.target.value as IncidentForm['scope'])}>
          <option value="">any</option>
          {IDENTITY_SCOPES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Identity
        <input
          value={form.identity}
          placeholder="client id, IP, user…"
          onChange={(e) => set('identity', e.target.value)}
        />
      </label>
      <label>
        Rule
        <input value={form.rule} placeholder="rule id" onChange={(e) => set('rule', e.target.value)} />
      </label>
      <div className="filter-actions">
        <button type="submit" className="btn btn-primary">
          Apply
        </button>
        <button type="button" className="btn btn-ghost" onClick={props.onReset}>
          Reset
        </button>
      </div>
    </form>
  );
}
