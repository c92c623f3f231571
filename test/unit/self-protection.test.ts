import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../../functions/core/event-pattern-matcher.js';
import {
  functionNameMatchers,
  type GuardResources,
  SELF_PROTECTION_WATCHES,
  watchesFor,
  watchPattern,
  watchRuleIds,
} from '../../functions/core/self-protection.js';

const DEPLOY_DOC = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
const RESOURCES: GuardResources = {
  ruleNames: ['G-RoleMutations'],
  functionName: 'G-Function',
  topicArn: 'arn:aws:sns:us-east-1:123456789012:G-Topic',
  keyId: 'k-1',
  keyArn: 'arn:aws:kms:us-east-1:123456789012:key/k-1',
  alarmNames: ['G-FunctionErrors'],
  otherTopicArns: ['arn:aws:sns:us-east-1:123456789012:G-Fallback'],
  account: '123456789012',
  queueNames: ['G-Queue'],
  guardRoleArn: 'arn:aws:iam::123456789012:role/support-role-guard/G-Role',
  guardRoleNames: ['G-Role'],
};

describe('the watch table', () => {
  it.each(SELF_PROTECTION_WATCHES.map((w) => [w.id, w] as const))(
    'docs/deploy.md lists %s with every call it watches',
    (_, watch) => {
      const rules = watchRuleIds(watch)
        .map((id) => `\`Watch${id}\``)
        .join(' + ');
      const row = DEPLOY_DOC.split('\n').find(
        (line) =>
          line.startsWith(`| ${rules}`) &&
          line
            .slice(2 + rules.length)
            .trimStart()
            .startsWith('|'),
      );
      expect(row, `a row starting "| ${rules} |"`).toBeDefined();
      for (const name of watch.eventNames) expect(row).toContain(`\`${name}\``);
      expect(row).toContain(watch.what);
    },
  );

  it('has one id per watch, and the central-bus watch only in organization mode', () => {
    const ids = SELF_PROTECTION_WATCHES.flatMap(watchRuleIds);
    expect(new Set(ids).size).toBe(ids.length);
    expect(watchesFor(RESOURCES).map((w) => w.id)).not.toContain('CentralBusChanges');
    expect(watchesFor({ ...RESOURCES, centralBusName: 'bus' }).map((w) => w.id)).toContain(
      'CentralBusChanges',
    );
  });

  it('takes every form of the function name Lambda accepts, and no other function', () => {
    const pattern = { name: functionNameMatchers('G-Function') };
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:G-Function';
    for (const name of ['G-Function', 'G-Function:1', arn, `${arn}:prod`, '123456789012:function:G-Function'])
      expect(matchesPattern(pattern, { name }), name).toBe(true);
    for (const name of [
      'G-Function2',
      'XG-Function',
      `${arn}2`,
      'arn:aws:lambda:us-east-1:1:function:XG-Function',
    ])
      expect(matchesPattern(pattern, { name }), name).toBe(false);
  });

  it('matches Lambda event names by their versioned prefix, other services exactly', () => {
    const fn = SELF_PROTECTION_WATCHES.find((w) => w.id === 'FunctionChanges');
    const key = SELF_PROTECTION_WATCHES.find((w) => w.id === 'KeyChanges');
    if (!fn || !key) throw new Error('missing watch');
    expect((watchPattern(fn, RESOURCES).detail as { eventName: unknown[] }).eventName).toContainEqual({
      prefix: 'DeleteFunction',
    });
    expect((watchPattern(key, RESOURCES).detail as { eventName: unknown[] }).eventName).toContain(
      'DisableKey',
    );
  });

  const call = (eventSource: string, eventName: string, requestParameters: Record<string, unknown>) => ({
    source: `aws.${eventSource.split('.')[0]}`,
    'detail-type': 'AWS API Call via CloudTrail',
    detail: { eventSource, eventName, requestParameters },
  });
  const watch = (id: string) => {
    const found = SELF_PROTECTION_WATCHES.find((w) => w.id === id);
    if (!found) throw new Error(`missing watch ${id}`);
    return watchPattern(found, RESOURCES);
  };

  it('watches the other topics (second channel, chat) and their subscriptions as the main topic', () => {
    for (const topicArn of [RESOURCES.topicArn, ...RESOURCES.otherTopicArns]) {
      expect(
        matchesPattern(watch('TopicChanges'), call('sns.amazonaws.com', 'DeleteTopic', { topicArn })),
      ).toBe(true);
      expect(
        matchesPattern(
          watch('SubscriptionChanges'),
          call('sns.amazonaws.com', 'Unsubscribe', { subscriptionArn: `${topicArn}:0a1b` }),
        ),
      ).toBe(true);
    }
    const other = 'arn:aws:sns:us-east-1:123456789012:Other';
    expect(
      matchesPattern(watch('TopicChanges'), call('sns.amazonaws.com', 'DeleteTopic', { topicArn: other })),
    ).toBe(false);
  });

  it('matches a queue by the end of its URL: the regional and the legacy us-east-1 form, not another account', () => {
    const matches = (queueUrl: string) =>
      matchesPattern(watch('QueueChanges'), call('sqs.amazonaws.com', 'PurgeQueue', { queueUrl }));
    expect(matches('https://sqs.us-east-1.amazonaws.com/123456789012/G-Queue')).toBe(true);
    expect(matches('https://queue.amazonaws.com/123456789012/G-Queue')).toBe(true);
    expect(matches('https://queue.amazonaws.com/999999999999/G-Queue')).toBe(false);
    expect(matches('https://queue.amazonaws.com/123456789012/XG-Queue')).toBe(false);
  });
});
