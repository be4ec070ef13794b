// One live connection per signed-in console for incidents (the pages that show incidents listen to it),
// and a hook for pages that want their own filtered feed of events.
import { createContext, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { LiveStreamClient, streamUrl } from '../api/stream.ts';
import type { StreamHandlers, StreamState } from '../api/stream.ts';
import type { Incident, StreamFilter } from '../api/types.ts';
import { useSession } from './session.tsx';

type IncidentListener = (i: Incident) => void;

interface IncidentStream {
  state: StreamState;
  listen(fn: IncidentListener): () => void;
}

const Ctx = createContext<IncidentStream>({ state: 'connecting', listen: () => () => undefined });

function pageOrigin(origin: string): string {
  return origin || window.location.origin;
}

export function IncidentStreamProvider({ children }: { children: ReactNode }) {
  const { token, origin } = useSession();
  const [state, setState] = useState<StreamState>('connecting');
  const listeners = useRef(new Set<IncidentListener>());
  useEffect(() => {
    const c = new LiveStreamClient({
      url: streamUrl(pageOrigin(origin)),
      token,
      filter: { types: ['incident'] },
      handlers: {
        onState: setState,
        onIncident: (i) => {
          for (const l of listeners.current) l(i);
        },
      },
    }).open();
    return () => c.close();
  }, [token, origin]);
  const value = useMemo<IncidentStream>(
    () => ({
      state,
      listen(fn) {
        listeners.current.add(fn);
        return () => listeners.current.delete(fn);
      },
    }),
    [state],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useIncidentStream(): IncidentStream {
  return useContext(Ctx);
}

/** Calls `fn` for each live incident update while mounted. */
export function useLiveIncidents(fn: IncidentListener): StreamState {
  const s = useIncidentStream();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => s.listen((i) => ref.current(i)), [s]);
  return s.state;
}

/** A page's own stream with a server-side filter; handlers may change between renders. */
export function useStream(filter: StreamFilter, handlers: StreamHandlers): StreamState {
  const { token, origin } = useSession();
  const [state, setState] = useState<StreamState>('connecting');
  const h = useRef(handlers);
  h.current = handlers;
  const client = useRef<LiveStreamClient | undefined>(undefined);
  const key = JSON.stringify(filter);
  useEffect(() => {
    const c = new LiveStreamClient({
      url: streamUrl(pageOrigin(origin)),
      token,
      filter: JSON.parse(key) as StreamFilter,
      handlers: {
        onState: setState,
        onEvent: (e) => h.current.onEvent?.(e),
        onIncident: (i) => h.current.onIncident?.(i),
        onGap: (n) => h.current.onGap?.(n),
      },
    }).open();
    client.current = c;
    return () => c.close();
    // the filter changes are sent on the open connection below
  }, [token, origin]);
  useEffect(() => {
    client.current?.subscribe(JSON.parse(key) as StreamFilter);
  }, [key]);
  return state;
}
