import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { chatConfigurationName } from '../../infra/constructs/chat-channel.js';
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
      TeamsChannelId: '19%3aabc123%40thread.tacv2',
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

  it('with an existing channel configuration, creates only the chat topic and outputs its ARN to add to it', () => {
    // Prepare: the Slack channel already has a configuration in this account (one per channel per account).
    const existing = 'arn:aws:chatbot::123456789012:chat-configuration/slack-channel/oncall';

    // Act
    const { template } = synthGuard({ chatExistingConfigurationArn: existing });

    // Assess
    expect(Object.keys(template.findResources('AWS::Chatbot::SlackChannelConfiguration'))).toEqual([]);
    expect(Object.keys(template.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration'))).toEqual(
      [],
    );
    const [chatTopic] = Object.keys(
      template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'support-role-guard chat' } }),
    );
    expect(chatTopic).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CHAT_TOPIC_ARN: { Ref: chatTopic } }) },
    });
    template.hasOutput('ChatTopicArn', {
      Value: { Ref: chatTopic },
      Description: Match.stringLikeRegexp(`add it to the SNS topics of ${existing}`),
    });
  });

  it('outputs the chat topic ARN when it creates the channel too', () => {
    const { template } = synthGuard({ chatSlackWorkspaceId: 'T0123ABCD', chatSlackChannelId: 'C0123ABCD' });
    const [chatTopic] = Object.keys(
      template.findResources('AWS::SNS::Topic', { Properties: { DisplayName: 'support-role-guard chat' } }),
    );
    template.hasOutput('ChatTopicArn', { Value: { Ref: chatTopic } });
  });

  it('names the channel configurations after the stack: names are account-wide', () => {
    // Act
    const { template, stack } = synthGuard({
      chatSlackWorkspaceId: 'T0123ABCD',
      chatSlackChannelId: 'C0123ABCD',
      chatTeamsTenantId: TENANT,
      chatTeamsTeamId: TEAM,
      chatTeamsChannelId: '19:abc123@thread.tacv2',
    });

    // Assess
    const [slack] = Object.values(template.findResources('AWS::Chatbot::SlackChannelConfiguration')) as {
      Properties: { ConfigurationName: string };
    }[];
    const [teams] = Object.values(
      template.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration'),
    ) as {
      Properties: { ConfigurationName: string };
    }[];
    expect(slack?.Properties.ConfigurationName).toBe(`${stack.stackName}-slack`);
    expect(teams?.Properties.ConfigurationName).toBe(`${stack.stackName}-teams`);
  });

  it('keeps a configuration name within 128 characters of [A-Za-z0-9-_] for any stack name', () => {
    expect(chatConfigurationName('a.b c'.repeat(40), 'slack')).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(chatConfigurationName('a.b c'.repeat(40), 'slack').endsWith('-slack')).toBe(true);
    expect(chatConfigurationName('Guard', 'teams')).toBe('Guard-teams');
  });

  it.each([
    'arn:aws:sns:us-east-1:123456789012:oncall',
    'arn:aws:chatbot::12345:chat-configuration/slack-channel/oncall',
    'oncall',
  ])('refuses chatExistingConfigurationArn %j, naming it', (arn) => {
    expect(() =>
      settingsFromContext({ trustedPrincipalArns: OPS_ROLE, chatExistingConfigurationArn: arn }, 'us-east-1'),
    ).toThrow(
      `chatExistingConfigurationArn: ${JSON.stringify(arn)} is not the ARN of a chat channel configuration`,
    );
  });

  /**
   * AWS::Chatbot::MicrosoftTeamsChannelConfiguration's TeamsChannelId, from the resource's
   * CloudFormation schema (as cfn-lint 1.51 ships it; the Chatbot API's TeamsChannelConfiguration
   * ChannelId has the same pattern): the channel id URL-encoded, ':' as %3a and '@' as %40.
   */
  const TEAMS_CHANNEL_ID = /^([a-zA-Z0-9-_=+/.,])*%3[aA]([a-zA-Z0-9-_=+/.,])*%40([a-zA-Z0-9-_=+/.,])*$/;

  it.each(['19:abc123@thread.tacv2', '19%3aabc123%40thread.tacv2', '19%3Aabc123%40thread.tacv2'])(
    'takes the Teams channel id %s as copied from Teams or encoded, and synthesizes it URL-encoded',
    (id) => {
      const { template } = synthGuard({
        chatTeamsTenantId: TENANT,
        chatTeamsTeamId: TEAM,
        chatTeamsChannelId: id,
      });

      const [teams] = Object.values(
        template.findResources('AWS::Chatbot::MicrosoftTeamsChannelConfiguration'),
      );
      const channelId = (teams as { Properties: { TeamsChannelId: string } }).Properties.TeamsChannelId;
      expect(channelId).toBe('19%3aabc123%40thread.tacv2');
      expect(channelId).toMatch(TEAMS_CHANNEL_ID);
      expect(channelId.length).toBeLessThanOrEqual(256);
    },
  );

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
    [
      { chatTeamsTenantId: TENANT, chatTeamsTeamId: TEAM, chatTeamsChannelId: 'general' },
      'chatTeamsChannelId: "general" is not a Microsoft Teams channel id',
    ],
    [
      { chatTeamsTenantId: TENANT, chatTeamsTeamId: TEAM, chatTeamsChannelId: '19:a b@thread.tacv2' },
      'chatTeamsChannelId: "19:a b@thread.tacv2" is not a Microsoft Teams channel id',
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
