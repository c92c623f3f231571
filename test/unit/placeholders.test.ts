import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config.js';
import { resolveDesired } from '../../functions/core/placeholders.js';
import { guardEnv } from '../support/config.js';

const problemsOf = (env: Record<string, string | undefined>) => {
  try {
    parseConfig(env);
    return [];
  } catch (error) {
    return (error as { problems: { name: string; message: string }[] }).problems;
  }
};

describe('placeholders in trusted principals', () => {
  const config = parseConfig(
    guardEnv({
      TRUSTED_PRINCIPAL_ARNS:
        'arn:${Partition}:iam::${AccountId}:role/OpsSupport,arn:aws:iam::123456789012:role/Central',
    }),
  );

  it('are kept as configured, and resolved per account at reconcile time', () => {
    // Act
    const a = resolveDesired(config.desired, { account: '222233334444', partition: 'aws' });
    const b = resolveDesired(config.desired, { account: '555566667777', partition: 'aws' });

    // Assess
    expect(config.desired.trustedPrincipalArns[0]).toBe('arn:${Partition}:iam::${AccountId}:role/OpsSupport');
    expect(a.trustedPrincipalArns).toEqual([
      'arn:aws:iam::222233334444:role/OpsSupport',
      'arn:aws:iam::123456789012:role/Central',
    ]);
    expect((a.trustPolicy.Statement as { Principal: unknown }[])[0]?.Principal).toEqual({
      AWS: ['arn:aws:iam::222233334444:role/OpsSupport', 'arn:aws:iam::123456789012:role/Central'],
    });
    expect(b.trustedPrincipalArns[0]).toBe('arn:aws:iam::555566667777:role/OpsSupport');
  });

  it('leave a configuration without placeholders untouched', () => {
    const plain = parseConfig(guardEnv());
    expect(resolveDesired(plain.desired, { account: '222233334444', partition: 'aws' })).toBe(plain.desired);
  });

  it('refuse to resolve for something that is not an account id', () => {
    expect(() => resolveDesired(config.desired, { account: '*', partition: 'aws' })).toThrow(/account/);
  });

  it.each([
    [
      'arn:aws:iam::${Account}:role/OpsSupport',
      /unknown placeholder \$\{Account\}.*\$\{AccountId\}, \$\{Partition\}/,
    ],
    ['arn:aws:iam::${AccountId}:role/${RoleName}', /unknown placeholder \$\{RoleName\}/],
    ['arn:aws:iam::${AccountId}x:role/OpsSupport', /is not an IAM principal ARN/],
    ['arn:aws:iam::${AccountId:role/OpsSupport', /is not an IAM principal ARN/],
    ['arn:${Partition}:iam::${AccountId}:role/*', /wildcard/],
  ])('refuse %j at configuration time, naming it', (arn, message) => {
    expect(problemsOf(guardEnv({ TRUSTED_PRINCIPAL_ARNS: arn }))).toContainEqual({
      name: 'TRUSTED_PRINCIPAL_ARNS',
      message: expect.stringMatching(message),
    });
  });
});
