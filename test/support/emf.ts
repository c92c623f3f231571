import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';

/** A Metrics instance that really emits (the test environment disables metrics by default). */
export function enabledMetrics(): Metrics {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  try {
    return new Metrics({ namespace: 'SupportRoleGuard', serviceName: 'support-role-guard' });
  } finally {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  }
}

/** Runs `act` and returns the EMF documents written to stdout meanwhile. */
export async function captureEmf(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return written
    .flatMap((w) => w.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
