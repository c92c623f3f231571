#!/usr/bin/env node
// The CLI entry (`npx support-role-guard ...`). Logs go to stderr so stdout stays machine-readable.
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
for (const level of ['log', 'info', 'debug', 'warn']) console[level] = console.error;

let main;
try {
  ({ main } = await import('../dist/functions/cli/main.js'));
} catch (error) {
  console.error(
    `support-role-guard: the CLI is not built (${error.message}); run "npm ci" or "npm run build"`,
  );
  process.exit(2);
}
process.exitCode = await main(process.argv.slice(2));
