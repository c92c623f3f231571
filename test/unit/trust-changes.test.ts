import { describe, expect, it } from 'vitest';
import { buildTrustPolicy } from '../../functions/core/desired-state.js';
import { renderNotification } from '../../functions/core/notification.js';
import { canonicalPolicy } from '../../functions/core/policy-document.js';
import { trustPolicyChanges } from '../../functions/core/trust-changes.js';
import { ACCOUNT, AUDIT_USER, OPS_ROLE } from '../support/config.js';

const FOREIGN = 'arn:aws:iam::999988887777:root';
const SISTER = 'arn:aws:iam::210987654321:root';
const desired = canonicalPolicy(buildTrustPolicy([OPS_ROLE, AUDIT_USER], true));
const actual = (principals: string[], mfa = true) => canonicalPolicy(buildTrustPolicy(principals, mfa));

const base = {
  outcome: 'remediated' as const,
  account: ACCOUNT,
  region: 'us-east-1',
  partition: 'aws',
  roleName: 'AWSSupportRole',
  mode: 'enforce',
  time: new Date('2026-11-27T20:11:33.000Z'),
  actions: [{ api: 'UpdateAssumeRolePolicy' as const, status: 'succeeded' as const }],
};

describe('trustPolicyChanges', () => {
  it('names a principal added from outside the organization and one removed', () => {
    // Act
    const lines = trustPolicyChanges(actual([OPS_ROLE, FOREIGN]), desired, {
      account: ACCOUNT,
      organizationAccounts: [ACCOUNT, '210987654321'],
    });

    // Assess
    expect(lines).toEqual([
      `now also trusts ${FOREIGN} — an account outside this organization, not in the desired set`,
      `no longer trusts ${AUDIT_USER} (in the desired set)`,
    ]);
  });

  it('tells a foreign account from an organization member and from this account', () => {
    const lines = trustPolicyChanges(
      actual([OPS_ROLE, AUDIT_USER, SISTER, `arn:aws:iam::${ACCOUNT}:role/Other`]),
      desired,
      { account: ACCOUNT, organizationAccounts: [ACCOUNT, '210987654321'] },
    );
    expect(lines).toEqual([
      `now also trusts arn:aws:iam::${ACCOUNT}:role/Other — this account, not in the desired set`,
      `now also trusts ${SISTER} — an account of this organization, not in the desired set`,
    ]);
  });

  it('says "another account" when the organization is unknown, and names a wildcard', () => {
    const lines = trustPolicyChanges(actual([OPS_ROLE, AUDIT_USER, FOREIGN, '*']), desired, {
      account: ACCOUNT,
    });
    expect(lines).toEqual([
      'now also trusts * — anyone (a wildcard principal), not in the desired set',
      `now also trusts ${FOREIGN} — another account (not ${ACCOUNT}), not in the desired set`,
    ]);
  });

  it('says when MFA stopped being required although the principals are the same', () => {
    const lines = trustPolicyChanges(actual([OPS_ROLE, AUDIT_USER], false), desired, { account: ACCOUNT });
    expect(lines).toEqual(['MFA is no longer required to assume the role (the desired state requires it)']);
  });

  it('names the principals that lose the MFA condition when only some do', () => {
    // Prepare: OPS_ROLE still needs MFA, AUDIT_USER now does not.
    const found = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        (buildTrustPolicy([OPS_ROLE], true).Statement as unknown[])[0],
        (buildTrustPolicy([AUDIT_USER], false).Statement as unknown[])[0],
      ],
    });

    // Act
    const lines = trustPolicyChanges(found, desired, { account: ACCOUNT });

    // Assess
    expect(lines).toEqual([
      `MFA is no longer required for ${AUDIT_USER} to assume the role (the desired state requires it)`,
    ]);
  });

  it('names the principals that gain the MFA condition the desired state does not have', () => {
    const found = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        (buildTrustPolicy([OPS_ROLE], true).Statement as unknown[])[0],
        (buildTrustPolicy([AUDIT_USER], false).Statement as unknown[])[0],
      ],
    });
    const lines = trustPolicyChanges(found, actual([OPS_ROLE, AUDIT_USER], false), { account: ACCOUNT });
    expect(lines).toEqual([
      `MFA is now required for ${OPS_ROLE} to assume the role (the desired state does not require it)`,
    ]);
  });

  it('says so when the trust policy is not a readable document', () => {
    const lines = trustPolicyChanges('not json{', desired, { account: ACCOUNT });
    expect(lines).toEqual([
      'the trust policy is not a readable JSON document; the JSON document carries it as found',
    ]);
  });
});

describe('the e-mail of a trust-policy drift', () => {
  it('shows principals added and removed, and no raw JSON', () => {
    // Prepare
    const drift = [{ property: 'trustPolicy', before: actual([OPS_ROLE, FOREIGN]), after: desired }];

    // Act
    const n = renderNotification({ ...base, drift, organizationAccounts: [ACCOUNT] });

    // Assess
    expect(n.text).toContain(
      `now also trusts ${FOREIGN} — an account outside this organization, not in the desired set`,
    );
    expect(n.text).toContain(`no longer trusts ${AUDIT_USER} (in the desired set)`);
    expect(n.text).not.toContain('{"');
    expect(n.text).not.toContain('Statement');
    // The JSON document still carries both versions, for machines.
    expect(n.document).toMatchObject({ drift });
  });
});
