import { Stack } from 'aws-cdk-lib';
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
 * The on-call topic, encrypted with a customer-managed key (rotation on) whose policy lets
 * CloudWatch alarms and EventBridge publish; the same key encrypts the guard's queues. Messages a
 * subscription cannot take are kept in a dead-letter queue.
 */
export class NotificationTopic extends Construct {
  readonly key: Key;
  readonly topic: Topic;
  /** Notifications a subscription could not take (email bounced, endpoint down). */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.key = new Key(this, 'Key', {
      description: 'support-role-guard: notifications and failed-event queues',
      enableKeyRotation: true,
    });
    // CloudWatch alarms and EventBridge publish to the topic; SNS writes undeliverable messages to the DLQ.
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com', 'sns.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: `AllowPublishFrom${service.split('.')[0]}`,
          principals: [new ServicePrincipal(service)],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'], // in a key policy, "*" means this key
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }
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
  }
}
