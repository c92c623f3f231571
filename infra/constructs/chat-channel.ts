import { CfnOutput, Stack } from 'aws-cdk-lib';
import { CfnMicrosoftTeamsChannelConfiguration, SlackChannelConfiguration } from 'aws-cdk-lib/aws-chatbot';
import { type IRole, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { ChatSettings } from '../chat-settings.js';

/**
 * A channel configuration's name: configuration names are account-wide, so it is derived from
 * the stack's name (ConfigurationName: 1 to 128 characters of [A-Za-z0-9-_]).
 */
export function chatConfigurationName(stackName: string, kind: 'slack' | 'teams'): string {
  const suffix = `-${kind}`;
  const base = stackName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128 - suffix.length);
  return `${base || 'support-role-guard'}${suffix}`;
}

/**
 * On-call's chat channels through Amazon Q Developer in chat applications (formerly AWS
 * Chatbot). The service drops anything but its custom-notification format, so it gets a topic
 * of its own that receives only the chat rendering (functions/core/chat-message.ts); the
 * on-call topic's https subscribers keep the JSON document. The channels can only read: their
 * guardrail policy is ReadOnlyAccess, and their role carries no policy at all.
 */
export class ChatChannel extends Construct {
  readonly topic: Topic;

  constructor(
    scope: Construct,
    id: string,
    props: { readonly chat: ChatSettings; readonly key: IKey; readonly publisher: IRole },
  ) {
    super(scope, id);
    const stack = Stack.of(this);
    const partition = stack.partition;
    this.topic = new Topic(this, 'Topic', {
      displayName: 'support-role-guard chat',
      masterKey: props.key,
      enforceSSL: true,
    });
    // Publish only; the guard may already use the key for the on-call topic (guard-policy.ts).
    props.publisher.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'NotifyChat', actions: ['sns:Publish'], resources: [this.topic.topicArn] }),
    );
    const readOnly = ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess');
    const { slack, teams, existingConfigurationArn } = props.chat;
    // A stack output, not the construct's: the user adds it to an existing configuration's topics.
    new CfnOutput(stack, 'ChatTopicArn', {
      value: this.topic.topicArn,
      description: existingConfigurationArn
        ? `The chat topic: add it to the SNS topics of ${existingConfigurationArn}`
        : 'The chat topic (the chat format only); another channel configuration may subscribe to it too',
    });
    if (slack) {
      new SlackChannelConfiguration(this, 'Slack', {
        slackChannelConfigurationName: chatConfigurationName(stack.stackName, 'slack'),
        slackWorkspaceId: slack.workspaceId,
        slackChannelId: slack.channelId,
        notificationTopics: [this.topic],
        guardrailPolicies: [readOnly],
      });
    }
    if (teams) {
      const role = new Role(this, 'TeamsChannelRole', {
        assumedBy: new ServicePrincipal('chatbot.amazonaws.com'),
        description: 'support-role-guard: the Microsoft Teams channel (notifications only, no policy)',
      });
      new CfnMicrosoftTeamsChannelConfiguration(this, 'Teams', {
        configurationName: chatConfigurationName(stack.stackName, 'teams'),
        iamRoleArn: role.roleArn,
        teamsTenantId: teams.tenantId,
        teamId: teams.teamId,
        teamsChannelId: teams.channelId,
        snsTopicArns: [this.topic.topicArn],
        guardrailPolicies: [`arn:${partition}:iam::aws:policy/ReadOnlyAccess`],
      });
    }
  }
}
