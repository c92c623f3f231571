import { IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamRoleStore } from '../../functions/adapters/iam-role-store.js';
import { parseConfig } from '../../functions/core/config.js';
import { resolveDesired } from '../../functions/core/placeholders.js';
import { reconcile } from '../../functions/core/reconcile.js';
import { CREDENTIALS, emulatorEndpoint, REGION, testClients, uniqueName } from '../support/aws.js';
import { guardEnv } from '../support/config.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';

// IAM refuses a trust policy that names a principal that does not exist ("MalformedPolicyDocument:
// Invalid principal in policy"). The emulator does not check principals, so IAM's answer is
// served on the wire by the fault proxy, exactly as IAM words it.
const MEMBER = '444455556666';
const OPS = `arn:aws:iam::${MEMBER}:role/OpsSupport`;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(emulatorEndpoint());
});
afterAll(async () => {
  await proxy.close();
});

describe('a trusted principal that does not exist in the account (IAM: Invalid principal in policy)', () => {
  it.each([
    ['UpdateAssumeRolePolicy', true],
    ['CreateRole', false],
  ])(
    '%s refused: the reason names the missing principal and its account, and what to trust instead',
    async (action, exists) => {
      // Prepare: one desired state with a per-account principal, resolved for MEMBER.
      const roleName = uniqueName('AWSSupportRole');
      const config = parseConfig(
        guardEnv({
          SUPPORT_ROLE_NAME: roleName,
          TRUSTED_PRINCIPAL_ARNS: 'arn:${Partition}:iam::${AccountId}:role/OpsSupport',
        }),
      );
      const desired = resolveDesired(config.desired, { account: MEMBER, partition: 'aws' });
      if (exists) {
        // The role exists with another trust (the emulator accepts any principal).
        const before = resolveDesired(parseConfig(guardEnv({ SUPPORT_ROLE_NAME: roleName })).desired, {
          account: MEMBER,
          partition: 'aws',
        });
        await reconcile({
          desired: before,
          mode: 'enforce',
          store: new IamRoleStore(testClients().iam),
          partition: 'aws',
        });
      }
      proxy.setPlan({
        kind: 'error',
        error: {
          status: 400,
          code: 'MalformedPolicyDocument',
          message: `Invalid principal in policy: "AWS":"${OPS}"`,
        },
        rate: 1,
        services: ['iam'],
        bodyContains: `Action=${action}&`,
      });
      const iam = new IAMClient({ region: REGION, endpoint: proxy.endpoint, credentials: CREDENTIALS });

      // Act
      const report = await reconcile({
        desired,
        mode: 'enforce',
        store: new IamRoleStore(iam),
        partition: 'aws',
      });
      proxy.setPlan(undefined);

      // Assess
      expect(report.verified).toBe(false);
      expect(report.error?.message).toBe(
        `IAM refused the trust policy: the trusted principal ${OPS} does not exist (MalformedPolicyDocument: Invalid principal in policy). ` +
          `IAM accepts only principals that exist: create it in account ${MEMBER}, or trust one that exists in every account, such as arn:\${Partition}:iam::\${AccountId}:root`,
      );
    },
  );
});
