import { describe, expect, it } from 'vitest';
import { matchesPattern, UnsupportedPatternError } from '../../functions/core/event-pattern-matcher.js';

/**
 * The examples of the EventBridge user guide ("Content filtering in Amazon EventBridge event
 * patterns", "Comparison operators", "Arrays in event patterns"), each with events it must and
 * must not match.
 */
const cases: { name: string; pattern: Record<string, unknown>; matches: unknown[]; misses: unknown[] }[] = [
  {
    name: 'prefix',
    pattern: { time: [{ prefix: '2017-10-02' }] },
    matches: [{ time: '2017-10-02T18:43:48Z' }],
    misses: [{ time: '2017-10-03T00:00:00Z' }, { time: 20171002 }, {}],
  },
  {
    name: 'prefix with source and region',
    pattern: { source: ['aws.autoscaling'], region: [{ prefix: 'eu-' }] },
    matches: [{ source: 'aws.autoscaling', region: 'eu-west-1' }],
    misses: [
      { source: 'aws.autoscaling', region: 'us-east-1' },
      { source: 'aws.ec2', region: 'eu-west-1' },
    ],
  },
  {
    name: 'prefix ignoring case',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    matches: [
      { detail: { service: 'EventBridge' } },
      { detail: { service: 'EVENTBRIDGE' } },
      { detail: { service: 'eventb' } },
    ],
    misses: [{ detail: { service: 'Lambda' } }],
  },
  {
    name: 'suffix',
    pattern: { FileName: [{ suffix: '.png' }] },
    matches: [{ FileName: 'photo.png' }],
    misses: [{ FileName: 'photo.PNG' }, { FileName: 'photo.jpg' }],
  },
  {
    name: 'suffix ignoring case',
    pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    matches: [{ detail: { FileName: 'photo.PNG' } }, { detail: { FileName: 'photo.png' } }],
    misses: [{ detail: { FileName: 'photo.gif' } }],
  },
  {
    name: 'equals-ignore-case',
    pattern: { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } },
    matches: [{ detail: { Name: 'Alice' } }, { detail: { Name: 'ALICE' } }],
    misses: [{ detail: { Name: 'Alicia' } }, { detail: {} }],
  },
  {
    name: 'anything-but a string',
    pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
    matches: [{ detail: { state: 'running' } }],
    misses: [{ detail: { state: 'initializing' } }, { detail: {} }],
  },
  {
    name: 'anything-but a number',
    pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    matches: [{ detail: { 'x-limit': 124 } }],
    misses: [{ detail: { 'x-limit': 123 } }],
  },
  {
    name: 'anything-but a list of strings',
    pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    matches: [{ detail: { state: 'running' } }],
    misses: [{ detail: { state: 'stopped' } }, { detail: { state: 'overloaded' } }],
  },
  {
    name: 'anything-but a list of numbers',
    pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    matches: [{ detail: { 'x-limit': 150 } }],
    misses: [{ detail: { 'x-limit': 200 } }],
  },
  {
    name: 'anything-but a prefix',
    pattern: { source: [{ 'anything-but': { prefix: 'aws.' } }] },
    matches: [{ source: 'com.mycompany.app' }],
    misses: [{ source: 'aws.ec2' }],
  },
  {
    name: 'anything-but a suffix',
    pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
    matches: [{ FileName: 'a.txt' }],
    misses: [{ FileName: 'a.png' }],
  },
  {
    name: 'anything-but ignoring case',
    pattern: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
    matches: [{ state: 'running' }],
    misses: [{ state: 'INITIALIZING' }, { state: 'Initializing' }],
  },
  {
    name: 'anything-but a wildcard',
    pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
    matches: [{ FilePath: '/usr/bin/env' }],
    misses: [{ FilePath: '/usr/lib/x.so' }],
  },
  {
    name: 'anything-but excluding a detail-type',
    pattern: { 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] },
    matches: [{ 'detail-type': 'Scheduled Event' }],
    misses: [{ 'detail-type': 'AWS API Call via CloudTrail' }],
  },
  {
    name: 'numeric ranges, all fields',
    pattern: {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    },
    matches: [{ detail: { 'c-count': 5, 'd-count': 9, 'x-limit': 301.8 } }],
    misses: [
      { detail: { 'c-count': 0, 'd-count': 9, 'x-limit': 301.8 } },
      { detail: { 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 } },
      { detail: { 'c-count': '5', 'd-count': 9, 'x-limit': 301.8 } },
    ],
  },
  {
    name: 'IP address (cidr)',
    pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    matches: [{ detail: { sourceIPAddress: '10.0.0.24' } }],
    misses: [{ detail: { sourceIPAddress: '10.0.1.1' } }, { detail: { sourceIPAddress: 'AWS Internal' } }],
  },
  {
    name: 'exists: false, including an intermediate node',
    pattern: { detail: { 'c-count': [{ exists: false }] } },
    matches: [
      { detail: { state: ['initializing', 'running'] } },
      { detail: { state: 'x', 'c-count': { c1: 100 } } },
    ],
    misses: [{ detail: { 'c-count': 1 } }],
  },
  {
    name: 'exists: true',
    pattern: { detail: { description: [{ exists: true }] } },
    matches: [{ detail: { description: 'x' } }, { detail: { description: null } }],
    misses: [{ detail: {} }, { detail: { description: { nested: 1 } } }],
  },
  {
    name: 'wildcard',
    pattern: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    matches: [{ EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/myBus' }],
    misses: [{ EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/myBus' }],
  },
  {
    name: '$or',
    pattern: {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    },
    matches: [{ detail: { 'c-count': 3 } }, { detail: { 'd-count': 1 } }, { detail: { 'x-limit': 301.8 } }],
    misses: [{ detail: { 'c-count': 9, 'd-count': 10 } }],
  },
  {
    name: 'arrays: any element of the event array',
    pattern: {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      ],
    },
    matches: [
      {
        resources: [
          'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
          'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
        ],
      },
    ],
    misses: [{ resources: ['arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f'] }, { resources: [] }],
  },
  {
    name: 'null and empty string',
    pattern: { detail: { responseElements: [null], eventName: [''] } },
    matches: [{ detail: { responseElements: null, eventName: '' } }],
    misses: [{ detail: { responseElements: {}, eventName: '' } }, { detail: { eventName: '' } }],
  },
  {
    name: 'a list mixing values and operators is an OR',
    pattern: { arn: [{ 'anything-but': 'arn:aws:iam::1:role/guard' }, { exists: false }] },
    matches: [{ arn: 'arn:aws:iam::1:role/admin' }, {}],
    misses: [{ arn: 'arn:aws:iam::1:role/guard' }],
  },
];

describe('matchesPattern', () => {
  for (const c of cases) {
    it(`${c.name}: matches what the user guide says it matches`, () => {
      for (const event of c.matches)
        expect(matchesPattern(c.pattern, event), JSON.stringify(event)).toBe(true);
    });
    it(`${c.name}: misses the rest`, () => {
      for (const event of c.misses)
        expect(matchesPattern(c.pattern, event), JSON.stringify(event)).toBe(false);
    });
  }

  it('refuses operators it does not implement rather than matching blindly', () => {
    expect(() => matchesPattern({ a: [{ contains: 'x' }] }, { a: 'x' })).toThrow(UnsupportedPatternError);
    expect(() => matchesPattern({ a: 'x' }, { a: 'x' })).toThrow(UnsupportedPatternError);
  });
});
