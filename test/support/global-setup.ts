import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startEmulator } from '../../functions/local/emulator.js';

declare module 'vitest' {
  export interface ProvidedContext {
    emulatorEndpoint: string;
  }
}

/** One moto server for the whole run; tests isolate themselves with unique resource names. */
export default async function setup(project: TestProject) {
  const emulator = await startEmulator();
  project.provide('emulatorEndpoint', emulator.endpoint);
  return () => emulator.stop();
}
