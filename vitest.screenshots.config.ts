import { defineConfig } from 'vitest/config';

// `npm run screenshots`: the README's two screenshots, refreshed (the page built first).
export default defineConfig({
  test: {
    include: ['test/visualize/screenshots.script.ts'],
    globalSetup: ['test/support/build.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
