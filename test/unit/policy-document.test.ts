import { describe, expect, it } from 'vitest';
import { canonicalPolicy, parsePolicyDocument, policiesEqual } from '../../functions/core/policy-document.js';

const OPS = 'arn:aws:iam::123456789012:role/OpsSupport';
const AUDIT = 'arn:aws:iam::123456789012:user/auditor';
const base = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: [OPS, AUDIT] }, Action: 'sts:AssumeRole' }],
};

describe('policiesEqual', () => {
  it.each([
    ['principal order', { ...base, Statement: [{ ...base.Statement[0], Principal: { AWS: [AUDIT, OPS] } }] }],
    ['action as a list', { ...base, Statement: [{ ...base.Statement[0], Action: ['sts:AssumeRole'] }] }],
    ['action case', { ...base, Statement: [{ ...base.Statement[0], Action: 'STS:AssumeRole' }] }],
    ['statement as an object', { ...base, Statement: base.Statement[0] }],
    ['a Sid', { ...base, Statement: [{ Sid: 'Support', ...base.Statement[0] }] }],
    [
      'duplicate principals',
      { ...base, Statement: [{ ...base.Statement[0], Principal: { AWS: [OPS, AUDIT, OPS] } }] },
    ],
    ['duplicate statements', { ...base, Statement: [base.Statement[0], base.Statement[0]] }],
  ])('ignores %s', (_name, other) => {
    expect(policiesEqual(base, other)).toBe(true);
  });

  it('treats a single principal string like a one-element list', () => {
    const one = { ...base, Statement: [{ ...base.Statement[0], Principal: { AWS: OPS } }] };
    const list = { ...base, Statement: [{ ...base.Statement[0], Principal: { AWS: [OPS] } }] };
    expect(policiesEqual(one, list)).toBe(true);
  });

  it('treats a bare account id as the account root', () => {
    const bare = { ...base, Statement: [{ ...base.Statement[0], Principal: { AWS: '123456789012' } }] };
    const root = {
      ...base,
      Statement: [{ ...base.Statement[0], Principal: { AWS: 'arn:aws:iam::123456789012:root' } }],
    };
    expect(policiesEqual(bare, root)).toBe(true);
  });

  it('compares condition values regardless of type and key case', () => {
    const a = {
      ...base,
      Statement: [{ ...base.Statement[0], Condition: { Bool: { 'aws:MultiFactorAuthPresent': true } } }],
    };
    const b = {
      ...base,
      Statement: [{ ...base.Statement[0], Condition: { Bool: { 'aws:multifactorauthpresent': ['true'] } } }],
    };
    expect(policiesEqual(a, b)).toBe(true);
  });

  it.each([
    [
      'a foreign principal',
      {
        ...base,
        Statement: [{ ...base.Statement[0], Principal: { AWS: 'arn:aws:iam::999999999999:root' } }],
      },
    ],
    ['a wildcard principal', { ...base, Statement: [{ ...base.Statement[0], Principal: '*' }] }],
    [
      'an extra statement',
      {
        ...base,
        Statement: [
          ...base.Statement,
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
    ],
    ['a dropped MFA condition', { ...base, Statement: [{ ...base.Statement[0], Condition: {} }] }],
    ['a different version', { ...base, Version: '2008-10-17' }],
  ])('sees %s', (_name, other) => {
    expect(policiesEqual(base, other)).toBe(false);
  });
});

describe('parsePolicyDocument', () => {
  it('decodes the URL-encoded form IAM returns', () => {
    const encoded = encodeURIComponent(JSON.stringify(base));
    expect(canonicalPolicy(parsePolicyDocument(encoded))).toBe(canonicalPolicy(base));
  });

  it('refuses a document that is not a JSON object', () => {
    expect(() => parsePolicyDocument('[1]')).toThrow(/JSON object/);
    expect(() => parsePolicyDocument('%7Bnot json')).toThrow(SyntaxError);
  });
});
