import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** While developing the pages (`npm run console:dev`), the API is that of a running `switchboard console`. */
const api = process.env.SWITCHBOARD_CONSOLE_API ?? 'http://127.0.0.1:8788';

// The console's pages, built into console/dist (served by `switchboard console`, nothing from a CDN).
// Preact's JSX through Vite's own transform: no framework plugin needed.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
  },
  server: {
    // The console takes writes from its own origin only: the proxy presents them as such.
    proxy: { '/api': { target: api, changeOrigin: true, configure: (proxy) => proxy.on('proxyReq', (req) => req.setHeader('origin', api)) } },
  },
  logLevel: 'warn',
});
