/**
 * Builds the cluster view page: root visualize/, output visualize/dist. `base: './'` makes
 * every asset URL relative, so the built page works from any path (a supervisor's route, a
 * file server, a copy on disk) and needs no network: everything it uses is bundled.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  // The page imports src/ and machines/ from the package root above it.
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  build: {
    outDir: fileURLToPath(new URL('dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No maps: the page ships in the package, and they would be three quarters of it
    // (`npm run visualize`, the dev server, serves sources for debugging).
    sourcemap: false,
    // The statechart's layout library (elkjs, ~1.5 MB) is its own chunk, loaded after the
    // cluster is drawn; only bigger than that is worth a warning.
    chunkSizeWarningLimit: 1600,
  },
});
