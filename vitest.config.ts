import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn servers; two cores do not benefit from more workers.
    maxWorkers: 2,
    // The JSON report lets .ci/run print the real pass/fail counts.
    reporters: ['default', ['json', { outputFile: '.test-results/vitest.json' }]],
  },
});
