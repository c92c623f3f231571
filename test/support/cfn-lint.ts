import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The cfn-lint configuration: every ignored check has its reason there. */
export const CFN_LINT_CONFIG = fileURLToPath(new URL('../../.cfnlintrc.yaml', import.meta.url));

export class CfnLintMissingError extends Error {
  constructor(searched: readonly string[]) {
    super(
      `cfn-lint is not installed (looked for ${searched.join(', ')}). The synthesized templates must be linted, ` +
        'so this fails instead of skipping. Install it with "pip install cfn-lint==1.51.0" (or "pipx install ' +
        'cfn-lint==1.51.0"), or point CFN_LINT at the executable.',
    );
    this.name = 'CfnLintMissingError';
  }
}

/** The cfn-lint executable: $CFN_LINT, else the first cfn-lint on PATH; throws when there is none. */
export function cfnLintCommand(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CFN_LINT) {
    if (!existsSync(env.CFN_LINT)) throw new CfnLintMissingError([`CFN_LINT=${env.CFN_LINT}`]);
    return env.CFN_LINT;
  }
  const candidates = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'cfn-lint'));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new CfnLintMissingError(candidates.length ? ['cfn-lint on PATH'] : ['PATH (empty)']);
  return found;
}

export interface CfnLintMatch {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Filename: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Start: { readonly LineNumber: number } };
}

/** Lints the template files with the project's configuration; every finding, as cfn-lint reports it. */
export function cfnLint(files: readonly string[], command = cfnLintCommand()): CfnLintMatch[] {
  const result = spawnSync(command, ['--config-file', CFN_LINT_CONFIG, '--format', 'json', '--', ...files], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (result.error) throw result.error;
  // cfn-lint's exit code is a bit mask of the levels found (2 error, 4 warning, 8 informational); 1 is a crash.
  if (result.status === null || result.status & 1 || !result.stdout.trim().startsWith('['))
    throw new Error(`cfn-lint did not run (exit ${result.status}): ${result.stderr || result.stdout}`);
  return JSON.parse(result.stdout) as CfnLintMatch[];
}

export function describeMatch(m: CfnLintMatch): string {
  return `${m.Level} ${m.Rule.Id} ${m.Filename}:${m.Location.Start.LineNumber} ${m.Message}`;
}
