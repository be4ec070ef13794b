// The signed-in session: the token lives in sessionStorage (gone when the tab closes, never in the URL),
// the role comes from the api's /me, and a 401 anywhere signs out.
import { createContext, useCallback, useContext, useMemo } from 'react';
import type { ReactNode } from 'react';
import { ApiClient } from '../api/client.ts';
import type { Me } from '../api/types.ts';

export const TOKEN_KEY = 'sentinel.console.token';

export interface Session {
  token: string;
  me: Me;
  client: ApiClient;
  /** The api's origin ('' = this page's). */
  origin: string;
  signOut(reason?: string): void;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in session');
  return s;
}

export function storedToken(): string | undefined {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeToken(token: string | undefined): void {
  try {
    if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
    else window.sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the session lasts as long as the page
  }
}

export function SessionProvider(props: {
  token: string;
  me: Me;
  origin: string;
  onSignOut(reason?: string): void;
  children: ReactNode;
}) {
  const { token, me, origin, onSignOut } = props;
  const signOut = useCallback(
    (reason?: string) => {
      storeToken(undefined);
      onSignOut(reason);
    },
    [onSignOut],
  );
  const value = useMemo<Session>(
    () => ({ token, me, origin, client: new ApiClient(token, origin), signOut }),
    [token, me, origin, signOut],
  );
  return <SessionContext.Provider value={value}>{props.children}</SessionContext.Provider>;
}
