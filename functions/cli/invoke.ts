import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Context } from 'aws-lambda';
import { ConfigError } from '../core/errors.js';
import { GuardFailure } from '../core/guard-result.js';
import { type CommandIo, EXIT, UsageError } from './io.js';
import { CONFIG_FLAGS_HELP, parseCommandArgs } from './options.js';

export const INVOKE_HELP = `Usage: support-role-guard invoke --event <file|-> [--json]

Runs the exact Lambda handler on one event (an EventBridge "AWS API Call via CloudTrail" event
for the support role, or a "Scheduled Event" for a sweep) and prints the result object as JSON
on stdout. Logs go to stderr. Configuration comes from the same environment variables as the
Lambda (SUPPORT_ROLE_NAME, TRUSTED_PRINCIPAL_ARNS, NOTIFY_TOPIC_ARN, ...); point AWS_ENDPOINT_URL
at a local emulator to try it without an AWS account.

Options:
  --event <file|->   the event JSON; "-" reads standard input
  --json             accepted for symmetry with the other commands (the output is always JSON)
  -h, --help         show this help

${CONFIG_FLAGS_HELP}

Exit codes:
  0  the handler returned (outcome remediated, compliant, drift-detected or ignored)
  1  the handler threw: remediation or the notification failed (the result is still printed
     when there is one; Lambda would retry)
  2  bad usage, unreadable event file or invalid configuration (every bad value is named)`;

/** A Lambda context for running the handler outside Lambda. */
function localContext(): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'support-role-guard-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:support-role-guard-local',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: 'local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, 60_000 - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

async function readEvent(source: string, io: CommandIo): Promise<unknown> {
  let text: string;
  try {
    text = source === '-' ? await io.readStdin() : await readFile(source, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --event ${JSON.stringify(source)}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--event ${JSON.stringify(source)} is not JSON: ${(error as Error).message}`);
  }
}

export async function invokeCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, env } = parseCommandArgs('invoke', args, { event: { type: 'string' } });
  if (values.help) {
    io.out(INVOKE_HELP);
    return EXIT.ok;
  }
  const eventPath = values.event;
  if (typeof eventPath !== 'string' || eventPath === '')
    throw new UsageError('invoke needs --event <file|-> (see: support-role-guard invoke --help)');
  // The handler reads its configuration from the environment, as in Lambda: apply the flags there.
  Object.assign(process.env, env);
  const event = await readEvent(eventPath, io);

  let handler: (event: unknown, context: Context) => Promise<unknown>;
  try {
    ({ handler } = await import('../handler/index.js'));
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(error.message);
      return EXIT.usage;
    }
    throw error;
  }
  try {
    io.out(JSON.stringify(await handler(event, localContext()), null, 2));
    return EXIT.ok;
  } catch (error) {
    if (error instanceof GuardFailure) io.out(JSON.stringify(error.result, null, 2));
    io.err(`support-role-guard: ${(error as Error).message}`);
    return EXIT.failure;
  }
}
