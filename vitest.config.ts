import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Integration tests start worker pools and child processes; two at a time fit two cores.
    maxWorkers: 2,
    // A test that needs a missing system tool is skipped (test/helpers/system-tools.ts), or fails in strict mode;
    // the second reporter says which were skipped and why.
    setupFiles: ['./test/helpers/system-tools-setup.ts'],
    reporters: ['default', './test/helpers/skip-summary-reporter.ts'],
  },
})
