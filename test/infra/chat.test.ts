import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { settingsFromContext } from '../../infra/settings.js';
import { OPS_ROLE, synthGuard } from '../support/stack.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const TEAM = '66666666-7777-8888-9999-000000000000';

describe('the chat channel (Amazon Q Developer in chat applications)', () => {
  it('is absent by default: no chat topic, no channel, no CHAT_TOPIC_ARN', () => {
    const { template } = synthGuard();
    expect(Object.keys(template.findResources('AWS::Chatbot::SlackChannelConfiguration'))).toEqual([]);
    expect(Object.keys(template.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration'))).toEqual(
      [],
    );
    // The notification topic and its second channel (self-protection alerts about the topic's key).
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toHaveLength(2);
    expect(JSON.stringify(template.toJSON())).not.toContain('CHAT_TOPIC_ARN');
  });

  it('Slack and Teams subscribe to a topic of their own, read-only, and the guard publishes the chat format there', () => {
    // Act
    const { template } = synthGuard({
      chatSlackWorkspaceId: 'T0123ABCD',
      chatSlackChannelId: 'C0123ABCD',
      chatTeamsTenantId: TENANT,
      chatTeamsTeamId: TEAM,
      chatTeamsChannelId: '19:abc123@thread.tacv2',
    });

    // Assess
    const topics = template.findResources('AWS::SNS::Topic', {
      Properties: { DisplayName: 'support-role-guard chat' },
    });
    const [chatTopic] = Object.keys(topics);
    expect(chatTopic).toBeDefined();
    const readOnly = Match.arrayWith([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] },
    ]);
    template.hasResourceProperties('AWS::Chatbot::SlackChannelConfiguration', {
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCD',
      SnsTopicArns: [{ Ref: chatTopic }],
      GuardrailPolicies: readOnly,
    });
    template.hasResourceProperties('AWS::Chatbot::MicrosoftTeamsChannelConfiguration', {
      TeamsTenantId: TENANT,
      TeamId: TEAM,
      TeamsChannelId: '19:abc123@thread.tacv2',
      SnsTopicArns: [{ Ref: chatTopic }],
      GuardrailPolicies: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/ReadOnlyAccess']] },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHAT_TOPIC_ARN: { Ref: chatTopic } }) },
    });
    // The channels' roles carry no policy: what a channel member can do is nothing.
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'chatbot.amazonaws.com' } })],
        },
      },
    });
    expect(Object.keys(roles).length).toBeGreaterThanOrEqual(1);
    for (const role of Object.values(roles) as { Properties: Record<string, unknown> }[]) {
      expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
      expect(role.Properties.Policies ?? []).toEqual([]);
    }
  });

  it.each([
    [{ chatSlackWorkspaceId: 'T0123ABCD' }, 'chatSlackChannelId: is required with chatSlackWorkspaceId'],
    [
      { chatSlackWorkspaceId: 'nope!', chatSlackChannelId: 'C1' },
      'chatSlackWorkspaceId: "nope!" is not a Slack workspace id',
    ],
    [
      { chatTeamsTenantId: 'x', chatTeamsTeamId: TEAM, chatTeamsChannelId: 'c' },
      'chatTeamsTenantId: "x" is not a Microsoft Entra tenant id',
    ],
  ])('refuses an incomplete or malformed channel %j, naming the key', (context, message) => {
    expect(() => settingsFromContext({ trustedPrincipalArns: OPS_ROLE, ...context }, 'us-east-1')).toThrow(
      ConfigError,
    );
    expect(() => settingsFromContext({ trustedPrincipalArns: OPS_ROLE, ...context }, 'us-east-1')).toThrow(
      message,
    );
  });
});
