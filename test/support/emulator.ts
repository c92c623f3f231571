import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const COMMAND_FILE = join(ROOT, '.emulator', 'command');

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

/** The command line recorded by scripts/install-emulator.sh. */
export function emulatorCommand(): string[] {
  if (!existsSync(COMMAND_FILE)) {
    throw new EmulatorUnavailableError(
      `the AWS emulator (moto server) is not installed: ${COMMAND_FILE} is missing. Run "npm run emulator:install" (npm test does it first).`,
    );
  }
  return readFileSync(COMMAND_FILE, 'utf8').trim().split(/\s+/);
}

/** Starts moto server on a free loopback port and waits until it answers. */
export async function startEmulator(timeoutMs = 60_000): Promise<RunningEmulator> {
  const [program, ...args] = emulatorCommand();
  if (!program)
    throw new EmulatorUnavailableError(`${COMMAND_FILE} is empty; run "npm run emulator:install"`);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(program, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
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
