import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['test/course/**/*.test.ts'],
      reporters: ['default', './test/course/summary-reporter.ts'],
    },
  }),
);
