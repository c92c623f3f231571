/** What a command may touch: output streams and standard input (injectable in tests). */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  readStdin(): Promise<string>;
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Bad flags or arguments: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

export const processIo: CommandIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};
