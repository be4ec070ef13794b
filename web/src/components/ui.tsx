// Small building blocks: the loading / error / empty states, severity and status badges, buttons that
// explain why they are disabled, panels with reserved space.
import type { ReactNode } from 'react';
import { describeError } from '../api/errors.ts';
import type { IncidentStatus } from '../api/types.ts';
import { severityBand } from './format.ts';

export function Loading({ label = 'Loading', rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="visually-hidden">{label}…</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" aria-hidden="true" />
      ))}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p>
        <strong>Could not load this.</strong> {describeError(error)}
      </p>
      {retry && (
        <button type="button" className="btn" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="state state-empty">{children}</div>;
}

/** Loading first, then the error, then empty, then the content; stale data stays while reloading. */
export function Load<T>(props: {
  data: T | undefined;
  error: unknown;
  reload?: () => void;
  empty?: (d: T) => boolean;
  emptyText?: ReactNode;
  rows?: number;
  children: (d: T) => ReactNode;
}) {
  const { data, error } = props;
  if (data === undefined && error !== undefined) return <ErrorState error={error} retry={props.reload} />;
  if (data === undefined) return <Loading rows={props.rows} />;
  return (
    <>
      {error !== undefined && <ErrorState error={error} retry={props.reload} />}
      {props.empty?.(data) ? <Empty>{props.emptyText ?? 'Nothing here yet.'}</Empty> : props.children(data)}
    </>
  );
}

export function SeverityBadge({ severity }: { severity: number }) {
  const band = severityBand(severity);
  return (
    <span className={`badge sev-${band}`} title={`Severity ${severity} of 10`}>
      {band} {severity}
    </span>
  );
}

export function StatusBadge({ status }: { status: IncidentStatus | string }) {
  return <span className={`badge status-${status}`}>{status}</span>;
}

/**
 * A button the role may not use stays visible, disabled, with a tooltip saying which role it needs, so
 * an analyst knows whom to ask.
 */
export function GatedButton(props: {
  allowed: boolean;
  why: string;
  onClick(): void;
  children: ReactNode;
  kind?: 'primary' | 'danger' | 'default';
  pending?: boolean;
  disabled?: boolean;
  label?: string;
  type?: 'button' | 'submit';
}) {
  const disabled = !props.allowed || props.disabled === true || props.pending === true;
  return (
    <span className="gated" title={props.allowed ? undefined : props.why}>
      <button
        type={props.type ?? 'button'}
        className={`btn ${props.kind ? `btn-${props.kind}` : ''}`}
        disabled={disabled}
        aria-disabled={disabled}
        aria-label={props.label}
        title={props.allowed ? undefined : props.why}
        onClick={props.onClick}
      >
        {props.pending ? 'Working…' : props.children}
      </button>
      {!props.allowed && <span className="visually-hidden">{props.why}</span>}
    </span>
  );
}

export function Panel(props: {
  title: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  id?: string;
}) {
  return (
    <section
      className={`panel ${props.className ?? ''}`}
      aria-labelledby={props.id ? `${props.id}-title` : undefined}
    >
      <header className="panel-head">
        <h2 id={props.id ? `${props.id}-title` : undefined}>{props.title}</h2>
        {props.actions}
      </header>
      <div className="panel-body">{props.children}</div>
    </section>
  );
}

export function Stat(props: { label: string; value: ReactNode; hint?: string }) {
  return (
    <div className="stat" title={props.hint}>
      <div className="stat-value">{props.value}</div>
      <div className="stat-label">{props.label}</div>
    </div>
  );
}

export function ActionError({ error }: { error: unknown }) {
  if (error === undefined) return null;
  return (
    <p className="action-error" role="alert">
      {describeError(error)}
    </p>
  );
}
