import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ENV } from '../core/config.js';
import { UsageError } from './io.js';

/** `--support-role-name` for SUPPORT_ROLE_NAME, and so on for every configuration variable. */
export const flagOf = (variable: string): string => variable.toLowerCase().replace(/_/g, '-');

const CONFIG_VARIABLES = [...Object.values(ENV), 'AWS_REGION', 'AWS_ENDPOINT_URL'];

type Options = NonNullable<ParseArgsConfig['options']>;

/** The flags every command takes: --json, --help, and one per configuration variable. */
export const COMMON_OPTIONS: Options = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(CONFIG_VARIABLES.map((v) => [flagOf(v), { type: 'string' as const }])),
};

export const CONFIG_FLAGS_HELP = `Configuration: the environment variables of the Lambda (see the README), each also a flag:
  ${CONFIG_VARIABLES.map((v) => `--${flagOf(v)}`).join(', ')}
A flag wins over its variable.`;

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: readonly string[];
  /** The environment with the configuration flags applied. */
  readonly env: Record<string, string | undefined>;
}

/** Parses a command's arguments; an unknown flag or a missing value is a UsageError naming it. */
export function parseCommandArgs(
  command: string,
  args: readonly string[],
  options: Options,
  env: Record<string, string | undefined> = process.env,
): ParsedArgs {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...COMMON_OPTIONS, ...options },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(
      `${command}: ${usageMessage(error as Error & { code?: string })} (see: support-role-guard ${command} --help)`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const overlay: Record<string, string | undefined> = { ...env };
  for (const variable of CONFIG_VARIABLES) {
    const value = values[flagOf(variable)];
    if (typeof value === 'string') overlay[variable] = value;
  }
  return { values, positionals: parsed.positionals, env: overlay };
}

/** node:util parseArgs errors, said plainly with the offending argument. */
function usageMessage(error: Error & { code?: string }): string {
  const quoted = /'([^']+)'/.exec(error.message)?.[1] ?? '';
  const name = quoted.split(' ')[0] ?? quoted;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${JSON.stringify(name)}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return `option ${name} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(name)}`;
    default:
      return error.message;
  }
}
