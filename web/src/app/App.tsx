// The console: sign-in gate, then the shell (skip link, navigation, who is signed in, live status) and
// the page of the current route.
import { useCallback, useEffect, useState } from 'react';
import type { MouseEvent } from 'react';
import { ApiClient } from '../api/client.ts';
import { ApiCallError } from '../api/errors.ts';
import type { Me } from '../api/types.ts';
import { Loading } from '../components/ui.tsx';
import { CompliancePage } from '../pages/Compliance.tsx';
import { IdentityPage } from '../pages/Identity.tsx';
import { IncidentPage } from '../pages/Incident.tsx';
import { IncidentsPage } from '../pages/Incidents.tsx';
import { LivePage } from '../pages/Live.tsx';
import { MitrePage } from '../pages/Mitre.tsx';
import { OverviewPage } from '../pages/Overview.tsx';
import { BansPage } from '../pages/Bans.tsx';
import { QuarantinePage } from '../pages/Quarantine.tsx';
import { SignIn } from '../pages/SignIn.tsx';
import type { Route } from './router.ts';
import { href, useRoute } from './router.ts';
import { SessionProvider, storeToken, storedToken, useSession } from './session.tsx';
import { IncidentStreamProvider, useIncidentStream } from './stream.tsx';

const NAV: { page: Route['page']; label: string; to: string; also?: Route['page'][] }[] = [
  { page: 'overview', label: 'Overview', to: href.overview() },
  { page: 'incidents', label: 'Incidents', to: href.incidents(), also: ['incident'] },
  { page: 'live', label: 'Live events', to: href.live() },
  { page: 'bans', label: 'Penalty box', to: href.bans(), also: ['identity'] },
  { page: 'quarantine', label: 'Quarantine', to: href.quarantine() },
  { page: 'mitre', label: 'MITRE ATT&CK', to: href.mitre() },
  { page: 'compliance', label: 'Compliance', to: href.compliance() },
];

type Auth =
  | { state: 'checking'; token: string }
  | { state: 'out'; notice?: string }
  | { state: 'in'; token: string; me: Me };

export function App({ origin = '' }: { origin?: string }) {
  const [auth, setAuth] = useState<Auth>(() => {
    const t = storedToken();
    return t ? { state: 'checking', token: t } : { state: 'out' };
  });

  useEffect(() => {
    if (auth.state !== 'checking') return;
    let live = true;
    new ApiClient(auth.token, origin).me().then(
      (me) => live && setAuth({ state: 'in', token: auth.token, me }),
      (e: unknown) => {
        if (!live) return;
        if (e instanceof ApiCallError && e.unauthenticated) storeToken(undefined);
        setAuth({
          state: 'out',
          notice: e instanceof ApiCallError && e.unauthenticated ? 'Please sign in again.' : undefined,
        });
      },
    );
    return () => {
      live = false;
    };
  }, [auth, origin]);

  const onSignOut = useCallback((notice?: string) => setAuth({ state: 'out', notice }), []);

  if (auth.state === 'checking') return <Loading label="Checking your session" />;
  if (auth.state === 'out') {
    return (
      <SignIn
        origin={origin}
        notice={auth.notice}
        onSignedIn={(token, me) => {
          storeToken(token);
          setAuth({ state: 'in', token, me });
        }}
      />
    );
  }
  return (
    <SessionProvider token={auth.token} me={auth.me} origin={origin} onSignOut={onSignOut}>
      <IncidentStreamProvider>
        <Shell />
      </IncidentStreamProvider>
    </SessionProvider>
  );
}

function Shell() {
  const route = useRoute();
  const { me, signOut } = useSession();
  const stream = useIncidentStream();
  return (
    <div className="shell">
      <a className="skip-link" href="#main" onClick={(e) => skipTo(e)}>
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href={href.overview()}>
          <span className="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Sentinel
        </a>
        <span
          className={`live-dot live-${stream.state}`}
          role="status"
          aria-label={`Live updates: ${stream.state}`}
        >
          {stream.state === 'live' ? 'Live' : stream.state}
        </span>
        <span className="whoami">
          {me.name} <span className="badge role">{me.role}</span>
        </span>
        <button type="button" className="btn btn-ghost" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <nav className="sidenav" aria-label="Console sections">
        <ul>
          {NAV.map((n) => {
            const current = route.page === n.page || (n.also ?? []).includes(route.page);
            return (
              <li key={n.page}>
                <a href={n.to} aria-current={current ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Page route={route} />
      </main>
    </div>
  );
}

function skipTo(e: MouseEvent) {
  // keep the hash route: focus the content instead of navigating to #main
  e.preventDefault();
  document.getElementById('main')?.focus();
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'incidents':
      return <IncidentsPage />;
    case 'incident':
      return <IncidentPage id={route.id} />;
    case 'identity':
      return <IdentityPage scope={route.scope} value={route.value} />;
    case 'live':
      return <LivePage />;
    case 'bans':
      return <BansPage />;
    case 'quarantine':
      return <QuarantinePage />;
    case 'mitre':
      return <MitrePage />;
    case 'compliance':
      return <CompliancePage />;
    case 'not-found':
      return (
        <div className="page">
          <h1>Not found</h1>
          <p>
            There is no page at <code>{route.path}</code>. <a href={href.overview()}>Go to the overview</a>.
          </p>
        </div>
      );
  }
}
