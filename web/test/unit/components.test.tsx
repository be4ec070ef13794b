import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from '../../src/app/App.tsx';
import { TOKEN_KEY } from '../../src/app/session.tsx';
import { FakeApi, FakeWebSocket, ME, TOKEN, incident } from './fakes.ts';

function signedIn(role: keyof typeof ME, hash: string, api: FakeApi) {
  window.sessionStorage.setItem(TOKEN_KEY, TOKEN);
  window.location.hash = hash;
  api.on('GET', /^\/me$/, ME[role]).install();
  FakeWebSocket.install();
  return render(<App />);
}

const detail = (over = {}) => ({
  incident: incident(over),
  timeline: [
    { ts: Date.now() - 5000, type: 'event', id: 'e1', summary: 'auth.bad_credentials deny', severity: 4 },
    { ts: Date.now() - 1000, type: 'action', id: 'a1', summary: 'acknowledged', actor: 'rita' },
  ],
});

const identity = {
  scope: 'client_id',
  value: 'sensor-9',
  score: 42.5,
  scoreOverTime: [
    { ts: Date.now() - 3600_000, score: 1 },
    { ts: Date.now(), score: 42.5 },
  ],
  strikes: 7,
  banned: false,
  bans: [],
  recentEvents: [],
  incidents: [],
};

describe('sign in', () => {
  it('checks the token against /me, keeps it in sessionStorage only and shows the role', async () => {
    new FakeApi()
      .on('GET', /^\/me$/, (r) =>
        r.headers.authorization === `Bearer ${TOKEN}`
          ? { body: ME.responder }
          : { status: 401, body: { error: { code: 'unauthenticated', message: 'unknown token' } } },
      )
      .on('GET', /^\/overview$/, {
        windowS: 300,
        connections: 3,
        connectionsRefused: 1,
        events: 30,
        eventsPerSecond: 0.1,
        openIncidentsBySeverity: [],
        topAttackedTopics: [],
        topOffenders: [],
      })
      .install();
    FakeWebSocket.install();
    render(<App />);
    const input = screen.getByLabelText('API token');
    fireEvent.change(input, { target: { value: 'snt_wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'unknown token');
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBeNull();

    fireEvent.change(input, { target: { value: TOKEN } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('responder')).toBeTruthy();
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBe(TOKEN);
    expect(window.location.href).not.toContain(TOKEN);
    expect(await screen.findByText('Connections accepted')).toBeTruthy();
  });

  it('signs out when the api stops accepting the stored token', async () => {
    const api = new FakeApi().on('GET', /^\/me$/, () => ({
      status: 401,
      body: { error: { code: 'unauthenticated', message: 'revoked' } },
    }));
    window.sessionStorage.setItem(TOKEN_KEY, TOKEN);
    api.install();
    FakeWebSocket.install();
    render(<App />);
    expect(await screen.findByText('Please sign in again.')).toBeTruthy();
    expect(window.sessionStorage.getItem(TOKEN_KEY)).toBeNull();
  });
});

describe('incident detail', () => {
  it('links the technique to its ATT&CK page and shows the identity threat score', async () => {
    const api = new FakeApi()
      .on('GET', /^\/incidents\/inc-1$/, detail())
      .on('GET', /^\/identities\/client_id\/sensor-9$/, identity);
    signedIn('analyst', '#/incidents/inc-1', api);
    const link = await screen.findByRole('link', { name: /T1110/ });
    expect(link.getAttribute('href')).toBe('https://attack.mitre.org/techniques/T1110/');
    expect(await screen.findByTestId('threat-score')).toHaveProperty('textContent', '42.5');
    expect(screen.getByText('credential-access')).toBeTruthy();
    expect(
      within(screen.getByRole('list', { name: 'Incident timeline' })).getAllByRole('listitem'),
    ).toHaveLength(2);
  });

  it('lets an analyst acknowledge but disables the ban with a tooltip naming the role it needs', async () => {
    const api = new FakeApi()
      .on('GET', /^\/incidents\/inc-1$/, detail())
      .on('GET', /^\/identities\//, identity)
      .on('PATCH', /^\/incidents\/inc-1$/, {
        incidentId: 'inc-1',
        status: 'acknowledged',
        assignee: '',
        actions: [],
      });
    signedIn('analyst', '#/incidents/inc-1', api);
    const ban = await screen.findByRole('button', { name: 'Ban sensor-9' });
    expect(ban).toHaveProperty('disabled', true);
    expect(ban.getAttribute('title')).toBe('Needs the responder role');
    const ack = screen.getByRole('button', { name: 'Acknowledge' });
    expect(ack).toHaveProperty('disabled', false);
    fireEvent.click(ack);
    expect(await screen.findByText('Acknowledged.')).toBeTruthy();
    // the api's answer shows at once, before analytics has derived the new status
    expect(document.querySelector('.incident-head .badge.status-acknowledged')).not.toBeNull();
    expect(screen.getByRole('button', { name: 'Acknowledge' })).toHaveProperty('disabled', true);
    const patch = api.requests.find((r) => r.method === 'PATCH');
    expect(patch?.body).toEqual({ status: 'acknowledged' });
  });

  it('lets a responder ban the identity for the chosen duration', async () => {
    const api = new FakeApi()
      .on('GET', /^\/incidents\/inc-1$/, detail())
      .on('GET', /^\/identities\//, identity)
      .on('POST', /^\/bans$/, (r) => ({
        status: 201,
        body: { decision: { ...(r.body as object), action: 'ban' }, action: {} },
      }));
    signedIn('responder', '#/incidents/inc-1', api);
    const ban = await screen.findByRole('button', { name: 'Ban sensor-9' });
    fireEvent.change(screen.getByLabelText('Ban duration'), { target: { value: '86400' } });
    fireEvent.click(ban);
    expect(await screen.findByText('Banned client_id sensor-9 for 1d.')).toBeTruthy();
    const post = api.requests.find((r) => r.method === 'POST');
    expect(post?.body).toMatchObject({ scope: 'client_id', value: 'sensor-9', durationS: 86400 });
  });

  it('shows the api error when a ban is refused', async () => {
    const api = new FakeApi()
      .on('GET', /^\/incidents\/inc-1$/, detail())
      .on('GET', /^\/identities\//, identity)
      .on('POST', /^\/bans$/, () => ({
        status: 409,
        body: {
          error: { code: 'conflict', message: 'client_id sensor-9 is on the allowlist and cannot be banned' },
        },
      }));
    signedIn('responder', '#/incidents/inc-1', api);
    fireEvent.click(await screen.findByRole('button', { name: 'Ban sensor-9' }));
    expect(await screen.findByText(/is on the allowlist/)).toBeTruthy();
  });
});

describe('incidents table', () => {
  const page = {
    items: [
      incident({ incidentId: 'a', title: 'First' }),
      incident({ incidentId: 'b', title: 'Second' }),
      incident({ incidentId: 'c', title: 'Third' }),
    ],
    nextCursor: 'cur2',
  };

  it('moves with j and k and opens the selected incident with Enter', async () => {
    const api = new FakeApi().on('GET', /^\/incidents$/, page);
    signedIn('analyst', '#/incidents', api);
    await screen.findByText('First');
    const rows = () => screen.getAllByRole('row').filter((r) => r.hasAttribute('data-incident'));
    expect(rows()[0]!.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(document.body, { key: 'j' });
    fireEvent.keyDown(document.body, { key: 'j' });
    fireEvent.keyDown(document.body, { key: 'k' });
    expect(rows()[1]!.getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(document.body, { key: 'Enter' });
    expect(window.location.hash).toBe('#/incidents/b');
  });

  it('ignores j and k typed into a filter field', async () => {
    const api = new FakeApi().on('GET', /^\/incidents$/, page);
    signedIn('analyst', '#/incidents', api);
    await screen.findByText('First');
    const field = screen.getByPlaceholderText('rule id');
    fireEvent.keyDown(field, { key: 'j' });
    const rows = screen.getAllByRole('row').filter((r) => r.hasAttribute('data-incident'));
    expect(rows[0]!.getAttribute('aria-selected')).toBe('true');
  });

  it('sends filters, sort and the next page cursor to the api', async () => {
    const api = new FakeApi().on('GET', /^\/incidents$/, page);
    signedIn('analyst', '#/incidents', api);
    await screen.findByText('First');
    fireEvent.change(screen.getByPlaceholderText('T1110'), { target: { value: 't1110' } });
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'new' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(api.requests.at(-1)?.url).toContain('technique=T1110'));
    expect(api.requests.at(-1)?.url).toContain('status=new');
    fireEvent.click(screen.getByRole('button', { name: /Severity/ }));
    await waitFor(() => expect(api.requests.at(-1)?.url).toContain('sort=severity&order=desc'));
    fireEvent.click(await screen.findByRole('button', { name: 'Older →' }));
    await waitFor(() => expect(api.requests.at(-1)?.url).toContain('cursor=cur2'));
    expect(screen.getByText('Page 2')).toBeTruthy();
  });

  it('shows a new incident from the live stream on top of the first page', async () => {
    const api = new FakeApi().on('GET', /^\/incidents$/, page);
    signedIn('analyst', '#/incidents', api);
    await screen.findByText('First');
    const ws = FakeWebSocket.all[0]!;
    act(() => ws.accept());
    expect(ws.sent[1]).toEqual({ type: 'subscribe', filter: { types: ['incident'] } });
    act(() =>
      ws.push({
        type: 'incident',
        data: {
          v: 1,
          id: 'r9',
          ts: Date.now(),
          incidentId: 'live-1',
          rule: 'auth.brute_force',
          title: 'Live brute force',
          severity: 9,
          status: 'new',
          technique: 'T1110',
          tactic: 'credential-access',
          identity: { scope: 'client_id', value: 'attacker-1' },
          firstSeen: Date.now() - 1000,
          lastSeen: Date.now(),
          eventCount: 10,
          eventIds: [],
        },
      }),
    );
    const rows = screen.getAllByRole('row').filter((r) => r.hasAttribute('data-incident'));
    expect(rows.map((r) => r.getAttribute('data-incident'))).toEqual(['live-1', 'a', 'b', 'c']);
    expect(rows[0]!.className).toContain('fresh');
  });

  it('says so when no incident matches, and shows api errors with a retry', async () => {
    let fail = true;
    const api = new FakeApi().on('GET', /^\/incidents$/, () =>
      fail
        ? {
            status: 503,
            body: { error: { code: 'unavailable', message: 'the analytics store did not answer' } },
          }
        : { body: { items: [], nextCursor: null } },
    );
    signedIn('analyst', '#/incidents', api);
    expect(await screen.findByText(/the analytics store did not answer/)).toBeTruthy();
    fail = false;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No incident matches these filters.')).toBeTruthy();
  });
});

describe('role gating elsewhere', () => {
  it('tells an analyst that compliance reports are for auditors and admins', async () => {
    signedIn('analyst', '#/compliance', new FakeApi());
    expect(await screen.findByText(/Compliance reports are for auditors and admins/)).toBeTruthy();
  });

  it('lets an auditor preview requirement statuses', async () => {
    const api = new FakeApi()
      .on('GET', /^\/reports\/standards$/, {
        items: [{ id: 'iec62443-4-2', name: 'IEC 62443-4-2', version: '2019', requirements: [] }],
      })
      .on('POST', /^\/reports$/, {
        integrity: {},
        report: {
          standard: { id: 'iec62443-4-2', name: 'IEC 62443-4-2', version: '2019' },
          generatedAt: Date.now(),
          range: { from: 0, to: 1 },
          summary: { met: 1, partly_met: 1, not_met: 0, not_applicable: 0 },
          requirements: [
            {
              id: 'CR 1.1',
              title: 'Human user identification',
              status: 'met',
              rationale: 'Tokens.',
              evidenceEvents: 3,
              sampleEventIds: [],
            },
            {
              id: 'CR 2.8',
              title: 'Auditable events',
              status: 'partly_met',
              rationale: 'No events.',
              evidenceEvents: 0,
              sampleEventIds: [],
            },
          ],
          evidenceDigest: 'ab'.repeat(32),
        },
      });
    signedIn('auditor', '#/compliance', api);
    fireEvent.click(await screen.findByRole('button', { name: 'Preview' }));
    const table = await screen.findByRole('table', { name: 'Requirement statuses' });
    expect(within(table).getByText('CR 1.1')).toBeTruthy();
    expect(within(table).getByText('Partly met')).toBeTruthy();
    expect(api.requests.at(-1)?.body).toMatchObject({ standard: 'iec62443-4-2', format: 'json' });
  });

  it('disables quarantine release and discard for an analyst', async () => {
    const api = new FakeApi().on('GET', /^\/quarantine$/, {
      items: [
        {
          seq: 4,
          subject: 'sentinel.quarantine.n1',
          record: {
            id: 'q1',
            ts: Date.now(),
            node: 'n1',
            clientId: 'dev-3',
            ip: '127.0.0.5',
            topic: 'plant/cmd',
            qos: 1,
            retain: false,
            reason: 'inspection.signature',
            rule: 'sig.sqli',
            severity: 7,
            size: 11,
            payload: btoa("' OR 1=1 --"),
          },
        },
      ],
      next: null,
    });
    signedIn('analyst', '#/quarantine', api);
    const release = await screen.findByRole('button', { name: 'Release message 4' });
    expect(release).toHaveProperty('disabled', true);
    expect(screen.getByRole('button', { name: 'Discard message 4' })).toHaveProperty('disabled', true);
    fireEvent.click(screen.getByRole('button', { name: /11 B/ }));
    expect(screen.getByText("' OR 1=1 --")).toBeTruthy();
  });
});

describe('live events', () => {
  it('subscribes with the chosen filter, shows events, holds them while paused and says how many were missed', async () => {
    signedIn('analyst', '#/live', new FakeApi());
    await screen.findByRole('table', { name: 'Live events' });
    // two connections: the shell's for incidents, the page's own for events
    act(() => FakeWebSocket.all.forEach((s) => s.accept()));
    const isEvents = (s: FakeWebSocket) =>
      s.sent.some(
        (m) =>
          JSON.stringify(m) ===
          JSON.stringify({ type: 'subscribe', filter: { types: ['event'], minSeverity: 0 } }),
      );
    expect(FakeWebSocket.all).toHaveLength(2);
    const ws = FakeWebSocket.all.find(isEvents)!;
    expect(ws).toBeDefined();
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'auth' } });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect(ws.sent.at(-1)).toEqual({
      type: 'subscribe',
      filter: { types: ['event'], minSeverity: 0, kinds: ['auth'] },
    });
    const event = (id: string, clientId: string) => ({
      type: 'event',
      data: {
        v: 1,
        id,
        ts: Date.now(),
        node: 'n1',
        kind: 'auth',
        decision: 'deny',
        reason: 'auth.bad_credentials',
        severity: 5,
        subject: { clientId, ip: '127.0.0.9' },
      },
    });
    act(() => ws.push(event('e1', 'dev-live-1')));
    expect(await screen.findByText('dev-live-1')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    act(() => ws.push(event('e2', 'dev-live-2')));
    expect(screen.queryByText('dev-live-2')).toBeNull();
    expect(screen.getByRole('button', { name: 'Resume (1 waiting)' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Resume (1 waiting)' }));
    expect(screen.getByText('dev-live-2')).toBeTruthy();
    act(() => ws.push({ type: 'gap', missed: 42 }));
    expect(screen.getByTestId('missed').textContent).toContain('Missed 42 events');
  });
});

describe('keyboard use', () => {
  it('offers a skip link that moves focus to the content, and marks the current section', async () => {
    const api = new FakeApi().on('GET', /^\/mitre\/coverage$/, { from: 0, to: 1, techniques: [] });
    signedIn('analyst', '#/mitre', api);
    const skip = await screen.findByRole('link', { name: 'Skip to content' });
    fireEvent.click(skip);
    expect(document.activeElement?.id).toBe('main');
    expect(window.location.hash).toBe('#/mitre');
    expect(screen.getByRole('link', { name: 'MITRE ATT&CK' }).getAttribute('aria-current')).toBe('page');
    expect(await screen.findByText('The technique catalog is empty.')).toBeTruthy();
  });
});

describe('an identity already in the penalty box', () => {
  it('shows the ban as done on the incident instead of offering it again', async () => {
    const api = new FakeApi()
      .on('GET', /^\/incidents\/inc-1$/, detail())
      .on('GET', /^\/identities\//, { ...identity, banned: true });
    signedIn('responder', '#/incidents/inc-1', api);
    const b = await screen.findByRole('button', { name: 'sensor-9 is banned' });
    expect(b).toHaveProperty('disabled', true);
    expect(b.textContent).toBe('Banned');
    expect(screen.getByTestId('banned-now').textContent).toBe('yes');
  });
});

describe('penalty box', () => {
  it('switches between active and past bans with the arrow keys and asks the api for each', async () => {
    const api = new FakeApi().on('GET', /^\/bans$/, (r) => ({
      body: {
        items: r.url.includes('state=past')
          ? [
              {
                id: 'd1',
                ts: 1,
                action: 'unban',
                scope: 'ip',
                value: '10.0.0.9',
                durationS: 0,
                until: 0,
                origin: 'manual',
                reason: 'done',
              },
            ]
          : [],
      },
    }));
    signedIn('analyst', '#/bans', api);
    expect(await screen.findByText('No bans.')).toBeTruthy();
    const active = screen.getByRole('tab', { name: 'Active' });
    fireEvent.keyDown(active, { key: 'ArrowRight' });
    expect(screen.getByRole('tab', { name: 'Past decisions' }).getAttribute('aria-selected')).toBe('true');
    expect(await screen.findByText('10.0.0.9')).toBeTruthy();
    expect(api.requests.some((q) => q.url.includes('state=past'))).toBe(true);
    // an analyst sees the ban form, disabled
    expect(screen.getByRole('button', { name: 'Ban' })).toHaveProperty('disabled', true);
  });
});
