import { ConfigError } from '../core/errors.js';
import { AUDIT_HELP, auditCommand } from './audit.js';
import { DRILL_HELP, drillCommand } from './drill.js';
import { INIT_HELP, initCommand } from './init.js';
import { INVOKE_HELP, invokeCommand } from './invoke.js';
import { type CommandIo, EXIT, processIo, UsageError } from './io.js';
import { RECONCILE_HELP, reconcileCommand } from './reconcile.js';

export const HELP = `Usage: support-role-guard <command> [options]

Keeps the AWS Support role (CIS 1.17 / Security Hub IAM.18) in place.

Commands:
  audit                     the CIS 1.17 / IAM.18 check and the guarded role's drift (read-only)
  reconcile [--dry-run]     one reconcile of the support role from your terminal
  drill                     the whole guard loop on the embedded AWS emulator (npm start);
                            drill --live --account ID drills a real account
  invoke --event <file|->   run the Lambda handler on one event and print the result as JSON
  init [--write]            the context flags that make the desired state the role as it is now

Run "support-role-guard <command> --help" for a command's options.
Configuration comes from environment variables (see the README).

Every command: configuration from the Lambda's environment variables, each also a flag
(--support-role-name, --trusted-principal-arns, ...); --json for scripts; --help.

Exit codes: 0 success/compliant, 1 failed/not compliant, 2 bad usage or configuration, or could
not check. Each command's --help says exactly.`;

const COMMANDS: Record<
  string,
  { run: (args: readonly string[], io: CommandIo) => Promise<number>; help: string }
> = {
  audit: { run: auditCommand, help: AUDIT_HELP },
  reconcile: { run: reconcileCommand, help: RECONCILE_HELP },
  drill: { run: drillCommand, help: DRILL_HELP },
  invoke: { run: invokeCommand, help: INVOKE_HELP },
  init: { run: initCommand, help: INIT_HELP },
};

/** Runs the CLI and returns the exit code. */
export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.out(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    io.err(`support-role-guard: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    return await entry.run(args, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.err(`support-role-guard: ${error.message}`);
      return EXIT.usage;
    }
    io.err(`support-role-guard: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.failure;
  }
}
