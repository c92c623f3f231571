#!/usr/bin/env node
// The CLI entry (`npx support-role-guard ...`). Logs go to stderr so stdout stays machine-readable.
process.env.POWERTOOLS_DEV ??= 'true';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
for (const level of ['log', 'info', 'debug', 'warn']) console[level] = console.error;
// The AWS SDK warns on Node < 22 about releases after January 2027; this package pins its SDK
// version in package-lock.json, so the notice is noise here. Other warnings still print.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning'))
    console.error(`(node) ${warning.name}: ${warning.message}`);
});

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
