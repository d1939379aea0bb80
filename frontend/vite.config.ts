import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { writeFileSync } from 'node:fs';

// The dev server proxies the API to a running `airlock serve` (default 127.0.0.1:8080).
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const target = env.AIRLOCK_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [
    svelte(),
    {
      // dist is emptied on every build; put back the committed placeholder that lets a fresh
      // clone compile frontend/embed.go before the first build
      name: 'keep-gitkeep',
      closeBundle() {
        writeFileSync('dist/.gitkeep', '');
      },
    },
  ],
  base: './',
  // component tests mount Svelte's client build (runes in *.svelte.test.ts resolve to it too)
  resolve: env.VITEST ? { conditions: ['browser'] } : undefined,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target, ws: true, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
});
