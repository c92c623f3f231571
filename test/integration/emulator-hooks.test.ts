import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  ListPolicyVersionsCommand,
  SetDefaultPolicyVersionCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { testClients, uniqueName } from '../support/aws.js';

const DOCUMENT = (action: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

/** The emulator corrections in scripts/moto-hooks/sitecustomize.py behave as real IAM does. */
describe('emulator hooks', () => {
  it('SetDefaultPolicyVersion of the current default keeps it the default (as IAM does; moto cleared it)', async () => {
    const { iam } = testClients();
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: uniqueName('HookPolicy'),
        PolicyDocument: DOCUMENT('support:*'),
      }),
    );
    const PolicyArn = Policy?.Arn ?? '';
    await iam.send(
      new CreatePolicyVersionCommand({ PolicyArn, PolicyDocument: DOCUMENT('*'), SetAsDefault: true }),
    );

    // The same call twice, as an SDK retry sends it after a timeout whose first attempt went through.
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn, VersionId: 'v1' }));
    await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn, VersionId: 'v1' }));

    const { Versions } = await iam.send(new ListPolicyVersionsCommand({ PolicyArn }));
    expect(Versions?.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ['v1', true],
      ['v2', false],
    ]);
  });
});
