// Builds the console into dist/, which the api serves at `/`. During development `vite` proxies /api to a
// running api (SENTINEL_WEB_API, default http://127.0.0.1:8080) so the console talks to it same-origin.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.SENTINEL_WEB_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1200 },
  server: { proxy: { '/api': { target: api, ws: true } } },
});
