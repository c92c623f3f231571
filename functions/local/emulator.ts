import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (functions/local/ in the sources, dist/functions/local/ when built). */
const ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));
const COMMAND_FILE = join(ROOT, '.emulator', 'command');
const INSTALL_SCRIPT = join(ROOT, 'scripts', 'install-emulator.sh');

function packageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Fails loudly (never skips) when the emulator is not installed. */
export class EmulatorUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmulatorUnavailableError';
  }
}

export interface RunningEmulator {
  readonly endpoint: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Runs scripts/install-emulator.sh (finds moto, or installs it from Debian's packages); its
 * progress goes to stderr. Throws EmulatorUnavailableError with the script's reason.
 */
export function installEmulator(): void {
  const run = spawnSync('bash', [INSTALL_SCRIPT], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (run.status !== 0) {
    throw new EmulatorUnavailableError(
      `installing the AWS emulator failed:\n${run.stderr ?? ''}${run.error?.message ?? ''}`,
    );
  }
}

/** The command line recorded by scripts/install-emulator.sh. */
export function emulatorCommand(options: { install?: boolean } = {}): string[] {
  if (!existsSync(COMMAND_FILE) && options.install) installEmulator();
  if (!existsSync(COMMAND_FILE)) {
    throw new EmulatorUnavailableError(
      `the AWS emulator (moto server) is not installed: ${COMMAND_FILE} is missing. Run "npm run emulator:install" (npm test does it first).`,
    );
  }
  return readFileSync(COMMAND_FILE, 'utf8').trim().split(/\s+/);
}

/** Starts moto server on a free loopback port and waits until it answers. */
export async function startEmulator(
  options: {
    timeoutMs?: number;
    install?: boolean;
    /**
     * Only these AWS managed policies (by name) in each emulated account, parsed once
     * (scripts/moto-hooks/sitecustomize.py): moto otherwise parses all of them, about 1,300, for
     * each new account, which dominates setting up 1,000 accounts (the organization benchmark).
     */
    managedPolicies?: readonly string[];
  } = {},
): Promise<RunningEmulator> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const [program, ...args] = emulatorCommand({ install: options.install ?? false });
  if (!program)
    throw new EmulatorUnavailableError(`${COMMAND_FILE} is empty; run "npm run emulator:install"`);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  const hooks = join(ROOT, 'scripts', 'moto-hooks');
  // The Debian route's command sets its own PYTHONPATH through `env`; the hooks go in front of it.
  const withHooks =
    program === 'env'
      ? args.map((a) => (a.startsWith('PYTHONPATH=') ? `PYTHONPATH=${hooks}${delimiter}${a.slice(11)}` : a))
      : args;
  const child: ChildProcess = spawn(program, [...withHooks, '-H', '127.0.0.1', '-p', String(port)], {
    env: {
      ...process.env,
      MOTO_IAM_LOAD_MANAGED_POLICIES: 'true',
      // The hooks (scripts/moto-hooks/sitecustomize.py) always load: they correct an emulator
      // defect (SetDefaultPolicyVersion of the current default leaves no default version).
      PYTHONPATH: [hooks, process.env.PYTHONPATH].filter(Boolean).join(delimiter),
      ...(options.managedPolicies ? { SRG_MOTO_MANAGED_POLICIES: options.managedPolicies.join(',') } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  child.once('error', (error) => {
    exited = `could not start: ${error.message}`;
  });

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new EmulatorUnavailableError(`moto server ${exited} (${program}):\n${output}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (Date.now() >= deadline) {
    child.kill('SIGKILL');
    throw new EmulatorUnavailableError(
      `moto server did not answer on ${endpoint} within ${timeoutMs} ms:\n${output}`,
    );
  }
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
