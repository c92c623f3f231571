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
      include: ['functions/**/*.ts'],
      thresholds: { statements: 80, branches: 70, functions: 80, lines: 80 },
    },
  },
});
