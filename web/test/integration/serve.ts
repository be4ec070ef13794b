// Where the end-to-end tests open the console: the built console (web/dist, built first when missing)
// served by Vite's preview server with /api (HTTP and the WebSocket stream) proxied to the stack's api,
// i.e. same-origin exactly as when the api serves web/dist at `/`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import type { Stack } from './stack.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export async function consoleUrl(stack: Stack): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(`${root}dist/index.html`)) await build({ root, logLevel: 'warn' });
  const server = await preview({
    root,
    logLevel: 'silent',
    preview: {
      port: 0,
      host: '127.0.0.1',
      strictPort: false,
      proxy: { '/api': { target: stack.url, ws: true } },
    },
  });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not say where it listens');
  return { url, close: () => server.close() };
}
