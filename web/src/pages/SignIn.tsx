// Sign in with an api token. The token is checked against /me before it is kept (sessionStorage only).
import { useState } from 'react';
import type { FormEvent } from 'react';
import { ApiClient } from '../api/client.ts';
import { describeError } from '../api/errors.ts';
import type { Me } from '../api/types.ts';

export function SignIn(props: { origin: string; notice?: string; onSignedIn(token: string, me: Me): void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [pending, setPending] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError('Paste an api token (it starts with snt_).');
      return;
    }
    setPending(true);
    setError(undefined);
    try {
      const me = await new ApiClient(t, props.origin).me();
      props.onSignedIn(t, me);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <main id="main" className="signin">
      <form className="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">
          <span className="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Sentinel console
        </h1>
        <p className="muted">
          Sign in with your api token. It is kept in this tab only and never put in a link.
        </p>
        {props.notice && (
          <p className="notice" role="status">
            {props.notice}
          </p>
        )}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="snt_…"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          aria-invalid={error !== undefined}
          aria-describedby={error ? 'signin-error' : undefined}
          autoFocus
        />
        {error && (
          <p id="signin-error" className="action-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary" disabled={pending}>
          {pending ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
