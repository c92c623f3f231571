import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { CLIENT_SETTINGS } from '../adapters/aws-clients.js';
import { parseConfig } from '../core/config.js';
import {
  type DrillReport,
  type DrillReporter,
  runDrill,
  type ScenarioResult,
  UnknownScenarioError,
} from '../local/drill.js';
import { SCENARIOS } from '../local/drill-scenarios.js';
import { EmulatorUnavailableError, startEmulator } from '../local/emulator.js';
import { LiveDrillRefused, liveDrill } from '../local/live-drill.js';
import { renderShownMessages } from '../local/published-messages.js';
import { type CommandIo, EXIT, UsageError } from './io.js';
import { CONFIG_FLAGS_HELP, parseCommandArgs } from './options.js';
import { renderTable } from './table.js';

export const DRILL_HELP = `Usage: support-role-guard drill [--scenario NAME]... [--show-messages] [--json] [--verbose] [--endpoint URL]
       support-role-guard drill --live --account ID [--timeout SECONDS] [--json]

Local drill (the default, and what "npm start" runs): starts the embedded AWS emulator (moto
server, installed on first use) on a free loopback port, sets the guard up as the stack would
(the rule with the stack's event pattern, a queue standing in for the Lambda, the topic with an
on-call inbox, the support role), then for each scenario makes a real tampering call, puts the
CloudTrail-shaped event on the bus, routes it by the rule's pattern, runs the real handler,
reads the role back and reads the notification from the inbox. Ends with a summary table.

Scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}

Live drill (--live): against the real account your credentials belong to, where the guard is
deployed. Detaches the first required policy (AWSSupportAccess) from the support role, waits
for the guard to put it back and reports the time. Refuses unless the credentials' account is
--account. If the guard has not restored it within --timeout, the drill re-attaches it itself.

Options:
  --scenario NAME     run only this scenario (repeatable)
  --accounts N        organization mode: run the scenarios in each of N emulated member
                      accounts (1-20), through one central guard and each account's
                      forwarding rule
  --show-messages     print, for each scenario, the messages on-call would receive: the e-mail
                      text and the chat rendering (with --json: in each scenario's "messages")
  --endpoint URL      use an emulator that is already running instead of starting one
  --verbose           show the handler's logs (stderr)
  --live              drill a real account (see above)
  --account ID        the 12-digit account to drill (required with --live)
  --timeout SECONDS   how long to wait for the guard (live; default 120)
  --json              print the report as JSON on stdout (progress goes to stderr)
  -h, --help          show this help

${CONFIG_FLAGS_HELP}

Exit codes:
  0  every scenario passed (live: the deployed guard restored the role in time)
  1  a scenario failed (live: the guard did not restore it; the drill did)
  2  bad usage or configuration, the emulator could not start, or the live drill refused to run`;

const OPTIONS = {
  scenario: { type: 'string' as const, multiple: true },
  endpoint: { type: 'string' as const },
  verbose: { type: 'boolean' as const },
  live: { type: 'boolean' as const },
  account: { type: 'string' as const },
  timeout: { type: 'string' as const },
  accounts: { type: 'string' as const },
  'show-messages': { type: 'boolean' as const },
};

export async function drillCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const { values, env } = parseCommandArgs('drill', args, OPTIONS);
  if (values.help) {
    io.out(DRILL_HELP);
    return EXIT.ok;
  }
  if (values.live) return liveCommand(values, env, io);
  if (values.account !== undefined || values.timeout !== undefined)
    throw new UsageError('drill: --account and --timeout only go with --live');
  const accounts = values.accounts === undefined ? undefined : Number(values.accounts);
  if (accounts !== undefined && !(Number.isInteger(accounts) && accounts >= 1 && accounts <= 20))
    throw new UsageError(
      `drill: --accounts ${JSON.stringify(values.accounts)} is not a number of accounts from 1 to 20`,
    );
  const json = values.json === true;
  const progress = json ? io.err : io.out;
  const scenarios = (values.scenario as unknown as string[] | undefined) ?? [];
  const unknown = scenarios.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new UsageError(`drill: ${new UnknownScenarioError(unknown).message}`);

  let endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  let stop = async () => {};
  if (!endpoint) {
    progress('Starting the embedded AWS emulator (moto server)...');
    try {
      const emulator = await startEmulator({ install: true });
      endpoint = emulator.endpoint;
      stop = emulator.stop;
    } catch (error) {
      if (error instanceof EmulatorUnavailableError) {
        io.err(`support-role-guard: ${error.message}`);
        return EXIT.usage;
      }
      throw error;
    }
    progress(`  emulator on ${endpoint}`);
  }
  const onSignal = () => void stop().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  try {
    const report = await runDrill({
      endpoint,
      ...(env.SUPPORT_ROLE_NAME ? { roleName: env.SUPPORT_ROLE_NAME } : {}),
      scenarios,
      ...(accounts ? { accounts } : {}),
      verbose: values.verbose === true,
      showMessages: values['show-messages'] === true,
      reporter: reporter(progress, !json && process.stdout.isTTY === true, !json),
    });
    if (json) io.out(JSON.stringify(report, null, 2));
    else io.out(`\n${summary(report)}`);
    return report.passed ? EXIT.ok : EXIT.failure;
  } finally {
    process.removeListener('SIGINT', onSignal);
    await stop();
  }
}

/** A live task list on a terminal; one plain line per event otherwise. */
function reporter(print: (text: string) => void, tty: boolean, showMessages = true): DrillReporter {
  const mark = (r: ScenarioResult) => (r.passed ? 'PASS' : 'FAIL');
  return {
    setup: (message) => print(`  ${message}`),
    start: (scenario, index, total) => {
      if (index === 0) print(`\nRunning ${total} scenario${total === 1 ? '' : 's'}:`);
      if (tty) process.stdout.write(`  [ .. ] ${scenario.title}`);
    },
    end: (result, index, total) => {
      const detail = detailOf(result);
      if (tty)
        process.stdout.write(`\r\x1b[2K  [${result.passed ? 'ok' : '!!'}] ${result.title}  ${detail}\n`);
      else print(`  [${index + 1}/${total}] ${mark(result)} ${result.title}  ${detail}`);
      for (const f of result.failures) print(`         ${f}`);
      if (showMessages && result.messages) print(`\n${renderShownMessages(result.messages)}\n`);
    },
  };
}

function detailOf(r: ScenarioResult): string {
  if (r.events.every((e) => !e.delivered)) return '(filtered by the rule pattern)';
  const outcomes = r.events
    .filter((e) => e.delivered)
    .map((e) => e.outcome)
    .join(', ');
  return `(${outcomes}${r.timeToRestoreMs === null ? '' : `, ${r.timeToRestoreMs} ms`})`;
}

const shortDrift = (property: string): string =>
  property === 'role'
    ? 'role missing'
    : property
        .replace(/^managedPolicy:arn:[\w-]+:iam::[\w]+:policy\/(?:.*\/)?/, 'policy ')
        .replace(/^inlinePolicy:/, 'inline ');

/** The summary table (and the verdict line). */
export function summary(report: DrillReport): string {
  const withAccounts = report.scenarios.some((r) => r.account);
  const rows = report.scenarios.map((r) => {
    const filtered = r.events.every((e) => !e.delivered);
    return [
      ...(withAccounts ? [r.account ?? ''] : []),
      r.title,
      filtered
        ? '- (filtered)'
        : r.driftSeen.length === 0
          ? 'none'
          : `${r.driftSeen.map(shortDrift).join(', ')}`,
      filtered ? 'unchanged' : r.restored ? 'yes' : 'no (detect)',
      r.notifications.length === 0 ? 'none' : r.notifications.map((n) => n.outcome).join(', '),
      r.timeToRestoreMs === null ? '-' : String(r.timeToRestoreMs),
      String(r.iamCalls.reads),
      String(r.iamCalls.writes),
      String(r.iamCalls.roundTrips),
      r.passed ? 'PASS' : 'FAIL',
    ];
  });
  const table = renderTable(
    [
      ...(withAccounts ? ['Account'] : []),
      'Scenario',
      'Drift seen',
      'Restored',
      'Notified',
      'Restore ms',
      'IAM reads',
      'IAM writes',
      'Round trips',
      'Result',
    ],
    rows,
  );
  const failed = report.scenarios.filter((r) => !r.passed).length;
  const verdict =
    failed === 0
      ? `All ${report.scenarios.length} scenarios passed.`
      : `${failed} of ${report.scenarios.length} scenarios FAILED.`;
  const sweep = report.sweep
    ? [
        '',
        'Organization sweep (the member StackSet reached the accounts above, not the newcomer):',
        renderTable(
          ['Account', 'Enrolled', 'Outcome', 'Trusted principals (resolved for the account)'],
          report.sweep.accounts.map((a) => [
            a.account,
            a.enrolled ? 'yes' : 'no',
            a.outcome,
            a.trustedPrincipals.join(', '),
          ]),
        ),
        ...report.sweep.accounts.filter((a) => a.reason).map((a) => `  ${a.account}: ${a.reason}`),
      ].join('\n')
    : '';
  return `${table}${sweep}\n\n${verdict} IAM calls are the guard's, counted on the wire; times are this machine's.`;
}

async function liveCommand(
  values: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
  io: CommandIo,
): Promise<number> {
  const account = values.account;
  if (typeof account !== 'string' || !/^\d{12}$/.test(account))
    throw new UsageError(
      `drill --live needs --account with the 12-digit account id to drill (got ${JSON.stringify(account ?? null)})`,
    );
  if (values.scenario || values.endpoint)
    throw new UsageError('drill --live takes no --scenario or --endpoint');
  const timeout = values.timeout === undefined ? 120 : Number(values.timeout);
  if (!(Number.isInteger(timeout) && timeout >= 5 && timeout <= 900))
    throw new UsageError(
      `drill: --timeout ${JSON.stringify(values.timeout)} is not a number of seconds from 5 to 900`,
    );
  const config = parseConfig(env);
  const json = values.json === true;
  const progress = json ? io.err : io.out;
  const settings = { ...CLIENT_SETTINGS, region: config.region };
  progress(
    `Live drill in account ${account}: detaching ${config.desired.requiredPolicyArns[0]} from ${config.desired.roleName}...`,
  );
  try {
    const result = await liveDrill({
      config,
      account,
      iam: new IAMClient(settings),
      sts: new STSClient(settings),
      timeoutMs: timeout * 1000,
      pollMs: Number(env.SRG_LIVE_POLL_MS ?? 2000),
      onProgress: (ms) => progress(`  waiting for the guard... ${Math.round(ms / 1000)} s`),
    });
    if (json) io.out(JSON.stringify(result, null, 2));
    else if (result.restoredBy === 'guard')
      progress(`The guard restored the policy after ${result.secondsToRestore} s.`);
    else
      progress(
        `The guard did NOT restore the policy within ${result.timeoutSeconds} s; the drill re-attached it. Check the guard (docs/runbook.md).`,
      );
    return result.restoredBy === 'guard' ? EXIT.ok : EXIT.failure;
  } catch (error) {
    if (error instanceof LiveDrillRefused) {
      io.err(`support-role-guard: drill refused: ${error.message}`);
      return EXIT.usage;
    }
    throw error;
  }
}
