// A hash router: the api serves one index.html at `/`, so every console route lives after the `#`.
// Nothing secret is ever put in the location.
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'overview' }
  | { page: 'incidents' }
  | { page: 'incident'; id: string }
  | { page: 'identity'; scope: string; value: string }
  | { page: 'live' }
  | { page: 'bans' }
  | { page: 'quarantine' }
  | { page: 'mitre' }
  | { page: 'compliance' }
  | { page: 'not-found'; path: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0] ?? '';
  const parts = path.split('/').filter(Boolean).map(safeDecode);
  const [head, a, b] = parts;
  switch (head) {
    case undefined:
    case 'overview':
      return { page: 'overview' };
    case 'incidents':
      return a ? { page: 'incident', id: a } : { page: 'incidents' };
    case 'identities':
      return a && b ? { page: 'identity', scope: a, value: b } : { page: 'not-found', path };
    case 'live':
    case 'bans':
    case 'quarantine':
    case 'mitre':
    case 'compliance':
      return { page: head };
    default:
      return { page: 'not-found', path };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export const href = {
  overview: () => '#/overview',
  incidents: () => '#/incidents',
  incident: (id: string) => `#/incidents/${encodeURIComponent(id)}`,
  identity: (scope: string, value: string) =>
    `#/identities/${encodeURIComponent(scope)}/${encodeURIComponent(value)}`,
  live: () => '#/live',
  bans: () => '#/bans',
  quarantine: () => '#/quarantine',
  mitre: () => '#/mitre',
  compliance: () => '#/compliance',
};

export function navigate(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
