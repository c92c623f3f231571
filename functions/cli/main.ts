import { ConfigError } from '../core/errors.js';
import { INVOKE_HELP, invokeCommand } from './invoke.js';
import { type CommandIo, EXIT, processIo, UsageError } from './io.js';

export const HELP = `Usage: support-role-guard <command> [options]

Keeps the AWS Support role (CIS 1.17 / Security Hub IAM.18) in place.

Commands:
  invoke --event <file|->   run the Lambda handler on one event and print the result as JSON

Run "support-role-guard <command> --help" for a command's options.
Configuration comes from environment variables (see the README).

Exit codes: 0 success, 1 the guard failed, 2 bad usage or configuration.`;

const COMMANDS: Record<
  string,
  { run: (args: readonly string[], io: CommandIo) => Promise<number>; help: string }
> = {
  invoke: { run: invokeCommand, help: INVOKE_HELP },
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
