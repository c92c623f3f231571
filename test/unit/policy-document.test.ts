import { describe, expect, it } from 'vitest';
import {
  canonicalPolicy,
  duplicateKey,
  parsePolicyDocument,
  policiesEqual,
} from '../../functions/core/policy-document.js';

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

describe('a key written twice in one object', () => {
  it.each([
    ['Statement', '{"Version":"2012-10-17","Statement":[],"Statement":[]}'],
    ['Principal', '{"Statement":[{"Principal":{"AWS":"a"},"Effect":"Allow","Principal":{"AWS":"b"}}]}'],
    ['Principal', '{"Statement":[{"Principal":"a", "Princip\\u0061l" : "b"}]}'],
    [
      'AWS',
      '%7B%22Statement%22%3A%5B%7B%22Principal%22%3A%7B%22AWS%22%3A%22a%22%2C%22AWS%22%3A%22b%22%7D%7D%5D%7D',
    ],
  ])('is refused (%s), URL-encoded or not', (key, raw) => {
    expect(() => parsePolicyDocument(raw)).toThrow(new RegExp(`repeat a key in one object: "${key}"`));
  });

  it('is not the same key in two objects, nor a value that looks like one', () => {
    const doc =
      '{"Statement":[{"Sid":"a","Effect":"Allow"},{"Sid":"b","Effect":"Allow","Condition":{"x":{"Sid":"\\"Sid\\""}}}]}';
    expect(duplicateKey(doc)).toBeUndefined();
    expect(() => parsePolicyDocument(doc)).not.toThrow();
  });
});
