import { describe, expect, it } from 'vitest';
import { explainInvalidPrincipal, InvalidPrincipalError } from '../../functions/core/invalid-principal.js';

const iamError = (name: string, message: string) => Object.assign(new Error(message), { name, Code: name });

describe("IAM's Invalid principal in policy, explained", () => {
  it("without the principal in IAM's words, names each trusted principal and its account", () => {
    const explained = explainInvalidPrincipal(
      iamError('MalformedPolicyDocument', 'Invalid principal in policy'),
      ['arn:aws:iam::444455556666:role/OpsSupport', 'arn:aws:iam::111122223333:role/Central'],
    );
    expect(explained).toBeInstanceOf(InvalidPrincipalError);
    expect((explained as Error).message).toMatch(
      /one of the trusted principals arn:aws:iam::444455556666:role\/OpsSupport, arn:aws:iam::111122223333:role\/Central does not exist .* create it in account 444455556666, 111122223333/,
    );
    expect((explained as Error).cause).toBeInstanceOf(Error);
  });

  it('leaves every other error as it is', () => {
    for (const error of [
      iamError('MalformedPolicyDocument', 'Syntax errors in policy'),
      iamError('AccessDenied', 'Invalid principal in policy'),
      'text',
    ])
      expect(explainInvalidPrincipal(error, [])).toBe(error);
  });
});
