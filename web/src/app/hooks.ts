// Data loading with the states every page shows: loading, error, empty, data. A reload keeps the data on
// screen until the new answer arrives, so polling and live refreshes do not make the layout jump.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiCallError } from '../api/errors.ts';
import { useSession } from './session.tsx';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): Async<T> {
  const { signOut } = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        if (e instanceof ApiCallError && e.unauthenticated) signOut('The token was not accepted any more.');
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick, signOut]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Calls `fn` every `ms` while the page is visible. */
export function useInterval(fn: () => void, ms: number): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const t = setInterval(() => {
      if (document.visibilityState !== 'hidden') ref.current();
    }, ms);
    return () => clearInterval(t);
  }, [ms]);
}

/** A write: pending flag, last error, and a message for the screen reader's live region. */
export function useAction(): {
  pending: boolean;
  error: unknown;
  run<T>(fn: () => Promise<T>): Promise<T | undefined>;
} {
  const { signOut } = useSession();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(
    async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
      setPending(true);
      setError(undefined);
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ApiCallError && e.unauthenticated) signOut('The token was not accepted any more.');
        setError(e);
        return undefined;
      } finally {
        setPending(false);
      }
    },
    [signOut],
  );
  return { pending, error, run };
}
