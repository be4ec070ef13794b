// Incidents raised by analytics from events a simulated node published, read through the api: filters,
// sort and cursor pages, the timeline, and triage recorded as actions from which the status derives.
import { jetstream } from '@nats-io/jetstream';
import { STREAMS } from '@sentinel/ingest';
import type { AnalystActionV1 } from '@sentinel/ingest';
import { waitFor } from '@sentinel/infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackScenario, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

interface Inc {
  incidentId: string;
  rule: string;
  technique: string;
  tactic: string;
  severity: number;
  identity: string;
  status: string;
  assignee: string;
  lastSeen: number;
  eventIds: string[];
}
interface Page {
  items: Inc[];
  nextCursor: string | null;
}

let kit: Kit;
beforeAll(async () => {
  kit = await startKit();
  await attackScenario(kit);
  await waitFor(
    'six incidents',
    async () => {
      const r = await kit.call('GET', '/api/v1/incidents?limit=100', kit.tokens.analyst);
      return (r.json as Page).items.length === 6;
    },
    { timeoutMs: 30_000 },
  );
});
afterAll(async () => kit?.close());

async function list(query: string): Promise<Page> {
  const r = await kit.call('GET', `/api/v1/incidents?${query}`, kit.tokens.analyst);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json as Page;
}

describe('incidents through the api', () => {
  it('filters by technique, tactic, identity, rule and severity return exactly the matching incidents', async () => {
    const brute = await list('technique=T1110');
    expect(brute.items.map((i) => i.identity).sort()).toEqual([
      '198.51.100.1',
      '198.51.100.2',
      '198.51.100.3',
    ]);
    expect(brute.items.every((i) => i.rule === 'auth.brute_force')).toBe(true);
    const initial = await list('tactic=Initial%20Access');
    expect(initial.items.map((i) => i.identity).sort()).toEqual(['pump-7', 'valve-9']);
    const one = await list('scope=ip&identity=198.51.100.2');
    expect(one.items).toHaveLength(1);
    expect(one.items[0]?.identity).toBe('198.51.100.2');
    const rule = await list('rule=discovery.wildcard_subscribe');
    expect(rule.items.map((i) => i.identity)).toEqual(['scanner-1']);
    const all = await list('limit=100');
    const minSev = Math.max(...all.items.map((i) => i.severity));
    const top = await list(`minSeverity=${minSev}`);
    expect(top.items.length).toBe(all.items.filter((i) => i.severity >= minSev).length);
    expect((await list(`from=${Date.now() + 3_600_000}`)).items).toEqual([]);
  });

  it('cursor pages of two cover every incident once, in sort order, for both directions', async () => {
    for (const order of ['desc', 'asc'] as const) {
      const seen: Inc[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Page = await list(
          `limit=2&sort=lastSeen&order=${order}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(new Set(seen.map((i) => i.incidentId)).size).toBe(6);
      const times = seen.map((i) => i.lastSeen);
      const sorted = [...times].sort((a, b) => (order === 'asc' ? a - b : b - a));
      expect(times).toEqual(sorted);
    }
  });

  it('a cursor made for another sort is refused with 400 naming query.cursor', async () => {
    const first = await list('limit=2&sort=severity');
    const r = await kit.call(
      'GET',
      `/api/v1/incidents?sort=lastSeen&cursor=${first.nextCursor}`,
      kit.tokens.analyst,
    );
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json)).toContain('query.cursor');
  });

  it('detail holds the timeline with the incident events; triage becomes actions and the status follows', async () => {
    const [inc] = (await list('technique=T1190&limit=1')).items;
    if (!inc) throw new Error('no injection incident');
    const detail = await kit.call('GET', `/api/v1/incidents/${inc.incidentId}`, kit.tokens.auditor);
    expect(detail.status).toBe(200);
    const timeline = (detail.json as { timeline: { type: string; id: string }[] }).timeline;
    expect(timeline.filter((t) => t.type === 'event').map((t) => t.id)).toEqual(inc.eventIds);

    const patch = await kit.call('PATCH', `/api/v1/incidents/${inc.incidentId}`, kit.tokens.analyst, {
      status: 'acknowledged',
      assignee: 'alice',
      notes: 'looking into pump-7',
    });
    expect(patch.status, JSON.stringify(patch.json)).toBe(200);
    const actions = (patch.json as { actions: AnalystActionV1[] }).actions;
    expect(actions.map((a) => a.action).sort()).toEqual([
      'incident.acknowledge',
      'incident.assign',
      'incident.comment',
    ]);
    expect(actions.every((a) => a.actor === 'analyst-1' && a.role === 'analyst')).toBe(true);

    // the audit trail is on SENTINEL_ACTIONS, and analytics derives the status from it
    const js = jetstream(kit.nc);
    const info = await (await js.consumers.get(STREAMS.actions)).info();
    expect(info.num_pending).toBeGreaterThanOrEqual(3);
    await waitFor(
      'status acknowledged',
      async () => {
        const r = (await list(`rule=exploit.injection_payload&identity=${inc.identity}`)).items[0];
        return r?.status === 'acknowledged' && r.assignee === 'alice';
      },
      { timeoutMs: 15_000 },
    );
    expect((await list('status=acknowledged')).items.map((i) => i.incidentId)).toEqual([inc.incidentId]);
    const after = await kit.call('GET', `/api/v1/incidents/${inc.incidentId}`, kit.tokens.analyst);
    const acts = (after.json as { timeline: { type: string; actor?: string }[] }).timeline.filter(
      (t) => t.type === 'action',
    );
    expect(acts.length).toBe(3);
    expect(acts.every((a) => a.actor === 'analyst-1')).toBe(true);
  });

  it('MITRE coverage counts incidents per technique; the overview counts open incidents and offenders', async () => {
    const cov = await kit.call('GET', '/api/v1/mitre/coverage', kit.tokens.auditor);
    const techniques = (
      cov.json as { techniques: { id: string; covered: boolean; rules: string[]; incidents: number }[] }
    ).techniques;
    const t1110 = techniques.find((t) => t.id === 'T1110');
    expect(t1110).toMatchObject({ covered: true, incidents: 3 });
    expect(t1110?.rules).toContain('auth.brute_force');
    expect(techniques.find((t) => t.id === 'T1190')?.incidents).toBe(2);
    expect(techniques.filter((t) => t.incidents > 0).every((t) => t.covered)).toBe(true);

    const ov = await kit.call('GET', '/api/v1/overview?windowS=3600', kit.tokens.analyst);
    const o = ov.json as {
      connections: number;
      events: number;
      openIncidentsBySeverity: { severity: number; count: number }[];
      topOffenders: { identity: string; strikes: number }[];
      topAttackedTopics: { topic: string }[];
    };
    expect(o.connections).toBe(4);
    expect(o.events).toBe(22);
    expect(o.openIncidentsBySeverity.reduce((s, x) => s + x.count, 0)).toBe(6);
    expect(o.topOffenders.map((x) => x.identity)).toContain('198.51.100.1');
    expect(o.topAttackedTopics.map((x) => x.topic)).toContain('devices/pump-7/cmd');
    expect((await kit.call('GET', '/healthz')).status).toBe(200);
  });

  it('an unknown incident is a 404', async () => {
    const r = await kit.call('GET', '/api/v1/incidents/01ZZZZZZZZZZZZZZZZZZZZZZZZ', kit.tokens.analyst);
    expect(r.status).toBe(404);
  });
});
