import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@sentinel/infra';
import { countEvents, listIncidents, startAnalytics } from '@sentinel/analytics';
import type { AnalyticsService } from '@sentinel/analytics';
import { analyticsConfig, badLogin, startKit } from './kit.ts';
import type { Kit } from './kit.ts';

let kit: Kit | undefined;
let svc: AnalyticsService | undefined;
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
  await kit?.close();
  kit = undefined;
});

function start(k: Kit): Promise<AnalyticsService> {
  return startAnalytics({
    analytics: analyticsConfig(),
    nats: k.nats,
    streams: k.streams,
    publisher: k.publisherCfg,
    dataDir: k.dir,
  });
}

describe('rule state across a restart', () => {
  it('windows and open incidents are rebuilt from the store: an attack split by a restart is still one incident', async () => {
    kit = await startKit();
    const k = kit;
    const ip = '203.0.113.150';
    svc = await start(k);
    for (let i = 0; i < 3; i++) k.node.publish(badLogin(ip, `a${i}`));
    await waitFor('three events stored', async () => (await countEvents(svc!.store)) === 3);
    await svc.stop();

    svc = await start(k);
    for (let i = 3; i < 5; i++) k.node.publish(badLogin(ip, `a${i}`));
    const [inc] = await waitFor('the incident', async () => {
      const l = await listIncidents(svc!.store, { identity: ip, rule: 'auth.brute_force' });
      return l.length > 0 ? l : undefined;
    });
    expect(inc?.eventCount).toBe(5);
    await svc.stop();

    // and the open incident keeps counting after another restart instead of opening a second one
    svc = await start(k);
    k.node.publish(badLogin(ip, 'a5'));
    await waitFor('the incident updated', async () => {
      const l = await listIncidents(svc!.store, { identity: ip, rule: 'auth.brute_force' });
      return l.length === 1 && l[0]?.eventCount === 6 && l[0].incidentId === inc?.incidentId;
    });
  });
});
