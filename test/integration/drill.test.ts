import { beforeAll, describe, expect, it } from 'vitest';
import { summary } from '../../functions/cli/drill.js';
import { type DrillReport, runDrill, UnknownScenarioError } from '../../functions/local/drill.js';
import { SCENARIOS } from '../../functions/local/drill-scenarios.js';
import { emulatorEndpoint, uniqueName } from '../support/aws.js';

let report: DrillReport;
beforeAll(async () => {
  report = await runDrill({ endpoint: emulatorEndpoint(), roleName: uniqueName('AWSSupportRole') });
}, 120_000);

describe('the local drill', () => {
  it('runs every scenario and all of them pass', () => {
    expect(report.scenarios.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    for (const s of report.scenarios) expect(s.failures, s.name).toEqual([]);
    expect(report.passed).toBe(true);
  });

  it.each([
    'detach-support-access',
    'delete-role',
    'trust-foreign-account',
    'admin-attached',
    'inline-policy',
    'boundary-set',
    'session-revocation',
    'policy-version-tampering',
  ])('%s: drift seen, restored, notified, with the exact IAM writes on the wire', (name) => {
    const s = report.scenarios.find((r) => r.name === name);
    const expected = SCENARIOS.find((r) => r.name === name)?.expect;
    expect(s?.driftSeen.length).toBeGreaterThan(0);
    expect(s?.restored).toBe(true);
    expect(s?.notifications.length).toBe(expected?.notifications);
    expect(s?.notifications[0]?.outcome).toBe('remediated');
    expect(s?.iamCalls.writes).toBe(expected?.writes.length);
    expect(s?.timeToRestoreMs).not.toBeNull();
  });

  it.each(['access-denied', 'other-role', 'guard-own-call'])(
    '%s: filtered by the pattern, no IAM call, no message',
    (name) => {
      const s = report.scenarios.find((r) => r.name === name);
      expect(s?.events.map((e) => e.delivered)).toEqual([false]);
      expect(s?.iamCalls.calls).toEqual([]);
      expect(s?.notifications).toEqual([]);
      expect(s?.timeToRestoreMs).toBeNull();
    },
  );

  it('detect mode: the drift is reported and the role left as it was', () => {
    const s = report.scenarios.find((r) => r.name === 'detect-mode');
    expect(s?.restored).toBe(false);
    expect(s?.iamCalls.writes).toBe(0);
    expect(s?.notifications.map((n) => n.outcome)).toEqual(['drift-detected']);
    expect(s?.driftSeen).toEqual(['managedPolicy:arn:aws:iam::aws:policy/AdministratorAccess']);
  });

  it('session revocation: the role opened for 12 hours, and every session issued before the repair revoked', () => {
    const s = report.scenarios.find((r) => r.name === 'session-revocation');
    expect(s?.driftSeen).toEqual(expect.arrayContaining(['trustPolicy', 'maxSessionDuration']));
    expect(s?.events.map((e) => [e.eventName, e.outcome])).toEqual([
      ['UpdateRole', 'remediated'],
      ['UpdateAssumeRolePolicy', 'compliant'],
    ]);
    // Read back from IAM at the end: the revocation policy with a cut-off after the tampering.
    expect(s?.sessionsRevokedBefore).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(s?.failures).toEqual([]);
  });

  it('policy-version tampering: the pinned document is the default version again, read back from IAM', () => {
    const s = report.scenarios.find((r) => r.name === 'policy-version-tampering');
    expect(s?.driftSeen).toEqual([
      expect.stringMatching(/^policyContent:arn:aws:iam::\d{12}:policy\/support\//),
    ]);
    expect(s?.events.map((e) => [e.eventName, e.delivered, e.outcome])).toEqual([
      ['CreatePolicyVersion', true, 'remediated'],
    ]);
    expect(s?.iamCalls.calls).toEqual(expect.arrayContaining(['ListPolicyVersions', 'GetPolicyVersion']));
    expect(s?.restored).toBe(true);
  });

  it('the role deletion is reported twice: recreated, then the DeleteRole call itself', () => {
    const s = report.scenarios.find((r) => r.name === 'delete-role');
    expect(s?.events.map((e) => [e.eventName, e.outcome])).toEqual([
      ['DetachRolePolicy', 'remediated'],
      ['DeleteRole', 'compliant'],
    ]);
    expect(s?.notifications.map((n) => n.outcome)).toEqual(['remediated', 'compliant']);
  });

  it('runs one scenario by name, and refuses an unknown one', async () => {
    const one = await runDrill({
      endpoint: emulatorEndpoint(),
      roleName: uniqueName('AWSSupportRole'),
      scenarios: ['inline-policy'],
    });
    expect(one.scenarios.map((s) => s.name)).toEqual(['inline-policy']);
    await expect(runDrill({ endpoint: emulatorEndpoint(), scenarios: ['nope'] })).rejects.toThrow(
      UnknownScenarioError,
    );
  });
});

describe('the drill across emulated member accounts (organization mode)', () => {
  it('runs every scenario in each account through the central guard, and all pass', async () => {
    const org = await runDrill({
      endpoint: emulatorEndpoint(),
      roleName: uniqueName('AWSSupportRole'),
      accounts: 2,
    });
    const accounts = [...new Set(org.scenarios.map((s) => s.account))];
    expect(accounts).toHaveLength(2);
    // A pinned policy ARN names one account: the pinned scenarios are the single-account drill's.
    expect(org.scenarios).toHaveLength(2 * SCENARIOS.filter((s) => !s.pinnedPolicy).length);
    for (const s of org.scenarios) expect(s.failures, `${s.account} ${s.name}`).toEqual([]);
    const detach = org.scenarios.filter((s) => s.name === 'detach-support-access');
    expect(detach.map((s) => s.iamCalls.writes)).toEqual([1, 1]);
    expect(org.scenarios.find((s) => s.name === 'guard-own-call')?.events[0]?.delivered).toBe(false);
    // The closing sweep: a newcomer the StackSet has not reached, and ${AccountId} resolved per account.
    const sweep = org.sweep?.accounts ?? [];
    expect(sweep.filter((a) => !a.enrolled).map((a) => a.outcome)).toEqual(['not-enrolled']);
    for (const a of sweep) expect(a.trustedPrincipals).toContain(`arn:aws:iam::${a.account}:role/OpsSupport`);
    expect(
      sweep
        .filter((a) => a.enrolled)
        .map((a) => a.account)
        .sort(),
    ).toEqual([...accounts].sort());
    expect(org.passed).toBe(true);
    expect(summary(org)).toMatch(/Organization sweep[\s\S]*not-enrolled/);
  }, 180_000);
});
