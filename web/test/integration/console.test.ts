// The console end to end: the real stack (`sentinel up`: nats-server, analytics on chDB, MariaDB + auth
// service, an enforcement node, the api serving the built console), Debian's chromium, and a real MQTT
// client guessing passwords through the enforcement node from its own loopback address.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/api/client.ts';
import { readCredentials, tempDir, waitFor } from '@sentinel/infra';
import { connectAsync } from 'mqtt';
import { bruteForce, connectDevice, connectOnce } from './attacker.ts';
import { launchBrowser, screenshot, signIn, waitLive } from './browser.ts';
import { consoleUrl, ensureBuilt } from './serve.ts';
import { createToken, startStack } from './stack.ts';
import type { Stack } from './stack.ts';

const ATTACKER = '127.0.0.66';
const BYSTANDER = '127.0.0.67';
const DEVICE = '127.0.0.70';
/** MQTT 5 CONNACK reason codes */
const BAD_CREDENTIALS = 0x86;
const BANNED = 0x8a;

describe('the analyst console against the running stack', () => {
  const t = tempDir('sentinel-web-chromium-');
  let stack: Stack;
  let url: string;
  let ctx: BrowserContext;
  const tokens = { analyst: '', responder: '', auditor: '' };
  let analyst: Page;
  let incidentHash = '';

  beforeAll(async () => {
    await ensureBuilt();
    stack = await startStack();
    url = await consoleUrl(stack);
    tokens.analyst = await createToken(stack, 'ana', 'analyst');
    tokens.responder = await createToken(stack, 'rita', 'responder');
    tokens.auditor = await createToken(stack, 'audrey', 'auditor');
    ctx = await launchBrowser(join(t.dir, 'profile'));
  }, 240_000);

  afterAll(async () => {
    await ctx?.close().catch(() => undefined);
    await stack?.stop();
    t.cleanup();
  }, 60_000);

  it("api client - every operation the console calls is in the api's OpenAPI document, same method and path", async () => {
    const doc = (await (await fetch(`${stack.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    for (const [op, [method, path]] of Object.entries(ENDPOINTS)) {
      const pathItem = doc.paths[`/api/v1${path}`];
      expect(pathItem?.[method.toLowerCase()]?.operationId, `${method} ${path}`).toBe(op);
    }
  });

  it('sign in - a made-up token is refused, a real one shows its role and never appears in the URL', async () => {
    const page = await ctx.newPage();
    await page.goto(url);
    await screenshot(page, '01-sign-in');
    await page.getByLabel('API token').fill(`snt_${'x'.repeat(43)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/authenticat|token/i);
    await page.getByLabel('API token').fill(tokens.analyst);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.whoami .badge.role', { hasText: 'analyst' }).waitFor();
    expect(page.url()).not.toContain(tokens.analyst);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(tokens.analyst);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    analyst = page;
  });

  it('incidents - the brute-force incident appears live while the analyst watches, without a reload', async () => {
    await analyst.goto(`${url}#/incidents`);
    await waitLive(analyst);
    await analyst.getByText('No incident matches these filters.').waitFor();
    await analyst.evaluate(() => ((window as unknown as { e2eMarker: number }).e2eMarker = 1));
    const pagerBefore = await analyst.getByRole('navigation', { name: 'Pages' }).boundingBox();
    const codes = await bruteForce(stack.mqttPort, ATTACKER, 8);
    expect(codes.every((c) => c === BAD_CREDENTIALS)).toBe(true);
    const row = analyst.locator('tr[data-incident]', { hasText: ATTACKER });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('class')).toContain('fresh');
    expect(await row.textContent()).toContain('T1110');
    // the same document: the row came over the WebSocket, not from a reload
    expect(await analyst.evaluate(() => (window as unknown as { e2eMarker?: number }).e2eMarker)).toBe(1);
    // space was reserved: the arrival did not push the rest of the page down
    expect(await analyst.getByRole('navigation', { name: 'Pages' }).boundingBox()).toEqual(pagerBefore);
    await screenshot(analyst, '02-incidents-live');
  });

  it('incident - the analyst opens it with the keyboard, sees technique and score, and may not ban', async () => {
    await analyst.locator('body').click({ position: { x: 5, y: 5 } });
    await analyst.keyboard.press('Enter');
    await expect.poll(() => new URL(analyst.url()).hash).toMatch(/^#\/incidents\/[A-Za-z0-9_-]+$/);
    incidentHash = new URL(analyst.url()).hash;
    await analyst.getByRole('heading', { name: 'Credential brute force' }).waitFor();
    const technique = analyst.getByRole('link', { name: /T1110/ });
    expect(await technique.getAttribute('href')).toBe('https://attack.mitre.org/techniques/T1110/');
    await analyst.getByTestId('threat-score').waitFor();
    const ban = analyst.getByRole('button', { name: `Ban ${ATTACKER}` });
    expect(await ban.isDisabled()).toBe(true);
    expect(await ban.getAttribute('title')).toBe('Needs the responder role');
    await analyst.getByRole('button', { name: 'Acknowledge' }).click();
    await analyst.getByText('Acknowledged.').waitFor();
    // the status comes back from the store once analytics has applied the action event
    await waitFor(
      'analytics to derive the acknowledged status',
      async () => {
        await analyst.reload();
        await analyst.locator('.incident-head').waitFor();
        return (await analyst.locator('.incident-head .badge.status-acknowledged').count()) > 0;
      },
      { timeoutMs: 20_000, intervalMs: 1000 },
    );
    await screenshot(analyst, '03-incident-analyst');
  });

  it('bans - the api refuses a ban with an analyst token (403)', async () => {
    const res = await fetch(`${stack.url}/api/v1/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.analyst}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'ip', value: ATTACKER, durationS: 600 }),
    });
    expect(res.status).toBe(403);
    expect(
      await connectOnce(stack.mqttPort, ATTACKER, { clientId: 'bot-x', username: 'admin', password: 'x' }),
    ).toEqual({
      code: BAD_CREDENTIALS,
    });
  });

  it("ban - a responder bans the attacker's address from the incident and its next CONNECT is refused", async () => {
    const responder = await signIn(ctx, url, tokens.responder, 'responder');
    await responder.goto(`${url}${incidentHash}`);
    await responder.getByRole('heading', { name: 'Credential brute force' }).waitFor();
    await responder.getByLabel('Ban duration').selectOption('3600');
    await responder.getByRole('button', { name: `Ban ${ATTACKER}` }).click();
    await responder.getByText(`Banned ip ${ATTACKER} for 1h.`).waitFor();
    await screenshot(responder, '04-incident-responder-banned');
    const refused = await waitFor(
      'the ban to reach the enforcement node',
      async () => {
        const r = await connectOnce(stack.mqttPort, ATTACKER, {
          clientId: 'bot-y',
          username: 'admin',
          password: 'y',
        });
        return r.code === BANNED ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(refused.code).toBe(BANNED);
    // only the attacker: another address still reaches authentication
    expect(
      (await connectOnce(stack.mqttPort, BYSTANDER, { clientId: 'c', username: 'u', password: 'p' })).code,
    ).toBe(BAD_CREDENTIALS);

    await responder.goto(`${url}#/bans`);
    const active = responder.getByRole('table', { name: 'Active bans' });
    await active.getByText(ATTACKER).waitFor();
    expect(await active.getByRole('button', { name: `Lift the ban of ${ATTACKER}` }).isEnabled()).toBe(true);
    await screenshot(responder, '05-penalty-box');

    await responder.goto(`${url}#/identities/ip/${ATTACKER}`);
    await responder.locator('.stat', { hasText: 'Banned now' }).getByText('yes').waitFor();
    await responder.locator('.recharts-surface').first().waitFor();
    await screenshot(responder, '06-identity');
  });

  it('live events - decisions stream in as they happen', async () => {
    await analyst.goto(`${url}#/live`);
    await analyst.locator('.page-head .live-dot', { hasText: 'Live' }).waitFor({ timeout: 15_000 });
    await connectOnce(stack.mqttPort, BYSTANDER, {
      clientId: 'live-probe',
      username: 'nobody',
      password: 'x',
    });
    await analyst
      .getByRole('table', { name: 'Live events' })
      .getByText('live-probe')
      .first()
      .waitFor({ timeout: 15_000 });
    await screenshot(analyst, '07-live-events');
  });

  it('overview, MITRE ATT&CK and quarantine render what the stack holds', async () => {
    await analyst.goto(`${url}#/overview`);
    const open = analyst.locator('.stat', { hasText: 'Open incidents' }).locator('.stat-value');
    await expect
      .poll(async () => Number(await open.textContent()), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(1);
    await analyst.locator('.recharts-surface').first().waitFor();
    await screenshot(analyst, '08-overview');

    await analyst.goto(`${url}#/mitre`);
    const cell = analyst.getByRole('link', { name: /^T1110 .* covered$/ });
    await cell.waitFor();
    expect(Number(await cell.locator('.heat-count').textContent())).toBeGreaterThanOrEqual(1);
    await screenshot(analyst, '09-mitre');

    await analyst.goto(`${url}#/quarantine`);
    await analyst.getByText('No message is held in quarantine.').waitFor();
  });

  it('quarantine - a responder reviews held messages, releases one to the broker and discards the other', async () => {
    const creds = join(t.dir, 'devices.csv');
    stack.sentinel('auth-service', 'populate', '--count', '1', '--prefix', 'web-dev-', '--file', creds);
    const [dev] = await readCredentials(creds);
    if (!dev) throw new Error('populate wrote no device');
    // a subscriber on the core broker behind the node sees only what is released
    const watcher = await connectAsync(`mqtt://127.0.0.1:${stack.coreMqttPort}`, {
      clientId: 'web-watch',
      reconnectPeriod: 0,
    });
    const delivered: string[] = [];
    watcher.on('message', (topic) => delivered.push(topic));
    await watcher.subscribeAsync(`devices/${dev.clientId}/#`, { qos: 1 });
    // MQTT 3.1.1: the stack's core broker (nats-server MQTT) speaks 3.1.1 only, and the node forwards
    // the device's CONNECT upstream once authenticated
    const device = await connectDevice(stack.mqttPort, DEVICE, {
      protocolVersion: 4,
      clientId: dev.clientId,
      username: dev.username,
      password: dev.secret,
    });
    // over enforcement.inspection.maxPayloadBytes: held back (anomaly.payload_size -> quarantine)
    const big = Buffer.alloc(12 * 1024, 'A');
    await device.publishAsync(`devices/${dev.clientId}/firmware-a`, big, { qos: 1 }).catch(() => undefined);
    await device.publishAsync(`devices/${dev.clientId}/firmware-b`, big, { qos: 1 }).catch(() => undefined);
    await device.endAsync();

    const responder = await signIn(ctx, url, tokens.responder, 'responder');
    await waitFor(
      'both messages in quarantine',
      async () => {
        await responder.goto(`${url}#/quarantine`);
        await responder.locator('main h1').waitFor();
        await responder.locator('.state-loading').first().waitFor({ state: 'detached' });
        return (await responder.locator('tbody tr', { hasText: dev.clientId }).count()) === 2;
      },
      { timeoutMs: 20_000, intervalMs: 1000 },
    );
    expect(delivered).toEqual([]);
    await screenshot(responder, '10-quarantine');
    const rowA = responder.locator('tbody tr', { hasText: 'firmware-a' });
    await rowA.getByRole('button', { name: /^Release message / }).click();
    await responder.getByText(/^Released message \d+ on devices\/.*\/firmware-a\.$/).waitFor();
    await waitFor(
      'the released message at the broker',
      () => delivered.includes(`devices/${dev.clientId}/firmware-a`),
      {
        timeoutMs: 10_000,
      },
    );
    const rowB = responder.locator('tbody tr', { hasText: 'firmware-b' });
    await rowB.getByRole('button', { name: /^Discard message / }).click();
    await responder.getByText(/^Discarded message \d+ on devices\/.*\/firmware-b\.$/).waitFor();
    await responder.getByText('No message is held in quarantine.').waitFor();
    expect(delivered).toEqual([`devices/${dev.clientId}/firmware-a`]);
    await watcher.endAsync();
  });

  it('compliance - an analyst is told reports are for auditors, and the api refuses (403)', async () => {
    await analyst.goto(`${url}#/compliance`);
    await analyst.getByText(/Compliance reports are for auditors and admins/).waitFor();
    const res = await fetch(`${stack.url}/api/v1/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.analyst}`, 'content-type': 'application/json' },
      body: JSON.stringify({ standard: 'iec62443-4-2', from: 0, to: Date.now(), format: 'pdf' }),
    });
    expect(res.status).toBe(403);
  });

  it('compliance - the auditor previews the requirement statuses and downloads the PDF', async () => {
    const auditor = await signIn(ctx, url, tokens.auditor, 'auditor');
    await auditor.goto(`${url}#/compliance`);
    await auditor.getByRole('button', { name: 'Preview' }).click();
    const table = auditor.getByRole('table', { name: 'Requirement statuses' });
    await table.waitFor({ timeout: 30_000 });
    expect(await table.locator('tbody tr').count()).toBeGreaterThan(5);
    await screenshot(auditor, '11-compliance');
    const [download] = await Promise.all([
      auditor.waitForEvent('download', { timeout: 60_000 }),
      auditor.getByRole('button', { name: 'Download PDF' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^sentinel-.*\.pdf$/);
    const file = join(t.dir, download.suggestedFilename());
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('every page fits 1280 px and a 1366×768 laptop screen without sideways scrolling', async () => {
    const pages = [
      'overview',
      'incidents',
      incidentHash.slice(2),
      `identities/ip/${ATTACKER}`,
      'live',
      'bans',
      'quarantine',
      'mitre',
      'compliance',
    ];
    for (const size of [
      { width: 1280, height: 800 },
      { width: 1366, height: 768 },
    ]) {
      await analyst.setViewportSize(size);
      for (const p of pages) {
        await analyst.goto(`${url}#/${p}`);
        await analyst.locator('main h1').first().waitFor();
        await analyst.locator('.state-loading').first().waitFor({ state: 'detached' });
        const overflow = await analyst.evaluate(
          () => document.documentElement.scrollWidth - window.innerWidth,
        );
        expect(overflow, `#/${p} at ${size.width} px`).toBeLessThanOrEqual(0);
      }
    }
    await analyst.goto(`${url}#/incidents`);
    await analyst.locator('tr[data-incident]').first().waitFor();
    await screenshot(analyst, '12-incidents-laptop-1366x768');
  });
});
