import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, UrlSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationTopicProps {
  readonly emails: readonly string[];
  readonly httpsEndpoints: readonly string[];
}

/**
 * The on-call topic, encrypted with a customer-managed key (rotation on) whose policy lets
 * CloudWatch alarms and EventBridge publish; the same key encrypts the guard's queues.
 */
export class NotificationTopic extends Construct {
  readonly key: Key;
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    this.key = new Key(this, 'Key', {
      description: 'support-role-guard: notifications and failed-event queues',
      enableKeyRotation: true,
    });
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
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
    for (const email of props.emails) this.topic.addSubscription(new EmailSubscription(email));
    for (const url of props.httpsEndpoints) this.topic.addSubscription(new UrlSubscription(url));
  }
}
