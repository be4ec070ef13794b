// The console as operators get it: the api serves the built console (web/dist) at `/`, same origin as
// /api/v1 and the live stream. turbo's `build` runs before the integration tests; when the tests are
// run on their own, the console is built first if it is missing (the api only mounts it when present).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { Stack } from './stack.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export async function ensureBuilt(): Promise<void> {
  if (!existsSync(`${root}dist/index.html`)) await build({ root, logLevel: 'warn' });
}

/** The console's address on the api, after checking that the api serves it with its security headers. */
export async function consoleUrl(stack: Stack): Promise<string> {
  const res = await fetch(`${stack.url}/`);
  const html = await res.text();
  if (!res.ok || !html.includes('<div id="root">')) {
    throw new Error(`the api at ${stack.url} does not serve the console at / (status ${res.status})`);
  }
  const csp = res.headers.get('content-security-policy') ?? '';
  if (!csp.includes("default-src 'self'")) throw new Error(`the console is served without its CSP: ${csp}`);
  return `${stack.url}/`;
}
