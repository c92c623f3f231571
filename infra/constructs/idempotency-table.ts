import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * One record per handled event (CloudTrail event id, or sweep time), expiring after 48 h through
 * DynamoDB TTL: how a repeated delivery is recognised and not notified twice. It also holds the
 * storm ledger (`storm#account#role#actor` items: the acts folded into a follow-up). The records are
 * short-lived, so the table is removed with the stack.
 */
export class IdempotencyTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: { readonly role: IRole }) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'id', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: 'expiration',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    props.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'IdempotencyRecords',
        // Scan: the sweep looks for closed storm windows whose follow-up is due (functions/core/storm.ts).
        // BatchGetItem: a message's delivery records, read alongside the claim; BatchWriteItem:
        // the completion with them (functions/adapters/idempotency.ts). IAM authorizes each batch
        // call by its own action, and a transaction (the storm ledger's) by its items' actions.
        actions: [
          'dynamodb:GetItem',
          'dynamodb:BatchGetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:Scan',
        ],
        resources: [this.table.tableArn],
      }),
    );
  }
}
