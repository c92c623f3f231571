import { Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { failedEventQueue } from './failed-event-queue.js';

export interface NotificationTopicProps {
  readonly emails: readonly string[];
  readonly httpsEndpoints: readonly string[];
}

/**
 * The on-call topic, encrypted with a customer-managed key (rotation on); the same key encrypts the
 * guard's queues. Messages a subscription cannot take are kept in a dead-letter queue.
 *
 * Who may publish, and why (docs/deploy.md, "Paths a message travels"):
 * - the guard's role: its identity policy (same account), TLS only;
 * - CloudWatch, for the guard's alarms only: `allowAlarms` (aws:SourceAccount + aws:SourceArn);
 * - EventBridge, for the guard's self-protection rules only: `allowRules` (the same two keys).
 * `enforceSSL` writes the topic policy, and a topic policy replaces SNS's default one, so every
 * service publisher must be named here: nothing else is allowed.
 */
export class NotificationTopic extends Construct {
  readonly key: Key;
  readonly topic: Topic;
  /** Notifications a subscription could not take (email bounced, endpoint down). */
  readonly deadLetterQueue: Queue;
  /**
   * The second channel: self-protection alerts about the topic and its key also go here. Not
   * encrypted with the key (nor any key): an alert that the key was disabled or its policy
   * replaced must not depend on that key. It carries only those alerts (who called what, when).
   */
  readonly fallbackTopic: Topic;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.key = new Key(this, 'Key', {
      description: 'support-role-guard: notifications and failed-event queues',
      enableKeyRotation: true,
    });
    // CloudWatch alarms publish to the topic; SNS writes undeliverable messages to the DLQ. Both
    // send aws:SourceAccount with their KMS requests. In a key policy, "*" means this key.
    for (const service of ['cloudwatch.amazonaws.com', 'sns.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: `AllowPublishFrom${service.split('.')[0]}`,
          principals: [new ServicePrincipal(service)],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }
    // EventBridge (self-protection rules → topic, rules → the encrypted dead-letter queue) sends no
    // aws:SourceAccount/aws:SourceArn with its KMS requests: AWS documents these keys as unsupported
    // in a key policy for EventBridge delivery, and a condition on them would drop every alert.
    // The topic policy and the queue policies scope EventBridge to the guard's own rules instead.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowPublishFromevents',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
      }),
    );
    this.topic = new Topic(this, 'Topic', {
      displayName: 'support-role-guard',
      masterKey: this.key,
      enforceSSL: true,
    });
    this.deadLetterQueue = failedEventQueue(this, 'UndeliveredNotifications', this.key);
    const deadLetterQueue = this.deadLetterQueue;
    for (const email of props.emails)
      this.topic.addSubscription(new EmailSubscription(email, { deadLetterQueue }));
    for (const url of props.httpsEndpoints)
      this.topic.addSubscription(new UrlSubscription(url, { deadLetterQueue }));
    this.fallbackTopic = new Topic(this, 'FallbackTopic', {
      displayName: 'support-role-guard (second channel)',
      enforceSSL: true,
    });
    // No dead-letter queue: the guard's queues are encrypted with the key this channel stands in for.
    const fallbackSubscriptions = [
      ...props.emails.map((email) => this.fallbackTopic.addSubscription(new EmailSubscription(email))),
      ...props.httpsEndpoints.map((url) => this.fallbackTopic.addSubscription(new UrlSubscription(url))),
    ];
    for (const subscription of fallbackSubscriptions)
      Validations.of(subscription).acknowledge({
        id: 'Serverless::Serverless-SNSRedrivePolicy',
        reason:
          "the second channel keeps no dead-letter queue: the guard's queues are encrypted with the key this channel stands in for",
      });
  }

  /** CloudWatch may publish for these alarms (their ARNs), of this account, and for no other. */
  allowAlarms(alarmArns: readonly string[]): void {
    this.allowService('AlarmsPublish', 'cloudwatch.amazonaws.com', alarmArns);
  }

  /** EventBridge may publish for these rules (their ARNs), of this account, and for no other. */
  allowRules(ruleArns: readonly string[]): void {
    this.allowService('SelfProtectionRulesPublish', 'events.amazonaws.com', ruleArns);
  }

  /** The same, on the second channel, for the rules that also alert there. */
  allowFallbackRules(ruleArns: readonly string[]): void {
    this.allowService('SelfProtectionRulesPublish', 'events.amazonaws.com', ruleArns, this.fallbackTopic);
  }

  private allowService(
    sid: string,
    service: string,
    sourceArns: readonly string[],
    topic = this.topic,
  ): void {
    if (sourceArns.length === 0) return;
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid,
        principals: [new ServicePrincipal(service)],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnEquals: { 'aws:SourceArn': [...sourceArns] },
        },
      }),
    );
  }
}
