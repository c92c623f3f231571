import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    // EMF metrics would flood the test output (the metrics test turns them on for its own instance);
    // CloudFormation schema validation stays on in the CI synth, off in unit tests (speed).
    env: { POWERTOOLS_METRICS_DISABLED: 'true', CDK_VALIDATION: 'false' },
    hookTimeout: 60_000,
    coverage: {
      provider: 'v8',
      // functions/cli/ is exercised through the built CLI in child processes (test/integration/cli*),
      // which v8 coverage of this process cannot see; everything else is measured.
      include: ['functions/**/*.ts'],
      exclude: ['functions/cli/**'],
      thresholds: { statements: 80, branches: 70, functions: 80, lines: 80 },
    },
  },
});
