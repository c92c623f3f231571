import { IAMClient } from '@aws-sdk/client-iam';
import { CLIENT_SETTINGS } from '../adapters/aws-clients.js';
import { IamRoleStore } from '../adapters/iam-role-store.js';
import { parseConfig } from '../core/config.js';
import { describeError } from '../core/errors.js';
import { outcomeOf } from '../core/guard-result.js';
import { reconcile } from '../core/reconcile.js';
import { desiredForCaller } from './desired.js';
import { type CommandIo, EXIT } from './io.js';
import { CONFIG_FLAGS_HELP, parseCommandArgs } from './options.js';

export const RECONCILE_HELP = `Usage: support-role-guard reconcile [--dry-run] [--json]

One reconcile of the support role with the guard's configuration, from your terminal and with
your credentials: reads the role, prints the plan (each drift, before -> after), applies it
(unless --dry-run, or GUARD_MODE=detect) and prints what was done, verified by reading the role
back. It sends no notification.

Options:
  --dry-run    print the plan, change nothing
  --json       print the result as JSON
  -h, --help   show this help

${CONFIG_FLAGS_HELP}

Exit codes:
  0  the role is in its desired state (already, or after the repair)
  1  drift remains (found by --dry-run or detect mode, or the repair failed)
  2  bad usage or configuration, or the role could not be read`;

export async function reconcileCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, env } = parseCommandArgs('reconcile', args, { 'dry-run': { type: 'boolean' } });
  if (values.help) {
    io.out(RECONCILE_HELP);
    return EXIT.ok;
  }
  const config = parseConfig(env);
  const dryRun = values['dry-run'] === true;
  const mode = dryRun ? 'detect' : config.mode;
  const store = new IamRoleStore(new IAMClient({ ...CLIENT_SETTINGS, region: config.region }));
  let report: Awaited<ReturnType<typeof reconcile>>;
  try {
    report = await reconcile({
      desired: await desiredForCaller(config),
      mode,
      store,
      partition: config.partition,
      revokeSessions: config.revokeSessions,
    });
  } catch (error) {
    io.err(`support-role-guard: could not read role ${config.desired.roleName}: ${describeError(error)}`);
    return EXIT.usage;
  }
  const outcome = outcomeOf(report, mode);
  const result = {
    roleName: config.desired.roleName,
    mode,
    dryRun,
    outcome,
    drift: report.drift.map(({ property, before, after }) => ({ property, before, after })),
    actions: report.actions,
    remaining: report.remaining.map(({ property, before, after }) => ({ property, before, after })),
    ...(report.error ? { error: describeError(report.error) } : {}),
  };
  if (values.json) io.out(JSON.stringify(result, null, 2));
  else {
    const lines = [`Role ${result.roleName} (${dryRun ? 'dry run' : `mode ${mode}`}):`];
    if (result.drift.length === 0) lines.push('  in its desired state; nothing to do.');
    else {
      lines.push('Plan (drift before -> after):');
      for (const d of result.drift)
        lines.push(`  - ${d.property}: ${d.before ?? '(absent)'} -> ${d.after ?? '(absent)'}`);
      lines.push(mode === 'detect' ? 'Actions (not applied):' : 'Actions:');
      for (const a of result.actions)
        lines.push(`  - ${a.api}: ${a.status}${a.detail ? ` (${a.detail})` : ''}`);
    }
    if (result.error) lines.push(`Error: ${result.error}`);
    lines.push(`Outcome: ${outcome}`);
    io.out(lines.join('\n'));
  }
  return report.remaining.length === 0 && !report.error ? EXIT.ok : EXIT.failure;
}
