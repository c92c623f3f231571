import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, REGION, resolve, type Template } from './cfn-resolve.js';

/**
 * The paths a message travels in a synthesized template, derived from the template itself (every
 * alarm action, rule target, dead-letter queue, subscription redrive and on-failure destination),
 * each as the requests AWS evaluates on the way, so that a real policy evaluator can judge them.
 */
export const OTHER_ACCOUNT = '999988887777';
export const OTHER_SERVICE = 's3.amazonaws.com';

type Policy = Record<string, unknown>;
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** One request AWS evaluates: a principal calling an action on a resource. */
export interface Step {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly resourceAccount: string;
  /** The identity policies of a role principal (none for a service principal). */
  readonly identityPolicies: readonly Policy[];
  /** Topic, queue, key, function or bus policy; undefined where the resource has none. */
  readonly resourcePolicy?: Policy;
  /** The context AWS sets for this principal (aws:SourceArn, aws:SourceAccount, aws:SecureTransport, ...). */
  readonly context: Readonly<Record<string, string>>;
  /**
   * Set where AWS does not send the source keys, so the grant cannot be scoped by them and the
   * "other account" request cannot be told apart here: the reason, asserted instead by statement.
   */
  readonly unscopable?: string;
}

export interface DeliveryPath {
  /** "alarm X → topic", named for the failing test. */
  readonly name: string;
  readonly steps: readonly Step[];
}

const SERVICE = /^[a-z0-9-]+\.amazonaws\.com$/;

export async function decide(step: Step): Promise<string> {
  const isService = SERVICE.test(step.principal);
  const response = await runSimulation(
    {
      identityPolicies: isService
        ? []
        : step.identityPolicies.map((policy, i) => ({ name: `p${i}`, policy })),
      ...(step.resourcePolicy ? { resourcePolicy: step.resourcePolicy } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: {
        principal: step.principal,
        action: step.action,
        resource: { resource: step.resource, accountId: step.resourceAccount },
        contextVariables: { ...step.context },
      },
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(response)}`);
  return (response as { overallResult: string }).overallResult;
}

/** The same request from a same-named source in another account (its ARNs and account rewritten). */
export function fromOtherAccount(step: Step): Step {
  const swap = (s: string) => s.split(ACCOUNT).join(OTHER_ACCOUNT);
  return {
    ...step,
    principal: swap(step.principal),
    context: Object.fromEntries(Object.entries(step.context).map(([k, v]) => [k, swap(v)])),
  };
}

/** The same request, with the same context, made by another AWS service. */
export function fromOtherService(step: Step): Step {
  return { ...step, principal: OTHER_SERVICE, identityPolicies: [] };
}

export class DeliveryModel {
  readonly resources: Resources;

  constructor(
    readonly template: Template,
    readonly parameters: Record<string, string> = {},
  ) {
    this.resources = template.Resources as Resources;
  }

  r(value: unknown): unknown {
    return resolve(value, this.template, this.parameters);
  }

  str(value: unknown): string {
    const resolved = this.r(value);
    if (typeof resolved !== 'string') throw new Error(`not a string: ${JSON.stringify(value)}`);
    return resolved;
  }

  ofType(type: string): [string, Resources[string]][] {
    return Object.entries(this.resources).filter(([, r]) => r.Type === type);
  }

  arnOf(id: string): string {
    return this.str({ 'Fn::GetAtt': [id, 'Arn'] });
  }

  /** The logical id of the resource `value` (a Ref or GetAtt) points at. */
  idOf(value: unknown): string | undefined {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
  }

  /** Identity policies of a role: attached AWS::IAM::Policy resources and inline Policies. */
  roleIdentityPolicies(roleId: string): Policy[] {
    const attached = this.ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => this.idOf(r) === roleId))
      .map(([, p]) => this.r(p.Properties.PolicyDocument) as Policy);
    const inline = ((this.resources[roleId]?.Properties.Policies as { PolicyDocument: unknown }[]) ?? []).map(
      (p) => this.r(p.PolicyDocument) as Policy,
    );
    return [...attached, ...inline];
  }

  topicPolicy(topicId: string): Policy | undefined {
    const found = this.ofType('AWS::SNS::TopicPolicy').find(([, p]) =>
      (p.Properties.Topics as unknown[]).some((t) => this.idOf(t) === topicId),
    );
    return found && (this.r(found[1].Properties.PolicyDocument) as Policy);
  }

  queuePolicy(queueId: string): Policy | undefined {
    const found = this.ofType('AWS::SQS::QueuePolicy').find(([, p]) =>
      (p.Properties.Queues as unknown[]).some((q) => this.idOf(q) === queueId),
    );
    return found && (this.r(found[1].Properties.PolicyDocument) as Policy);
  }

  keyPolicy(keyId: string): Policy {
    return this.r(this.resources[keyId]?.Properties.KeyPolicy) as Policy;
  }

  /** Lambda's resource policy, as Lambda builds it from the AWS::Lambda::Permission resources. */
  functionPolicy(functionId: string): Policy {
    const Statement = this.ofType('AWS::Lambda::Permission')
      .filter(([, p]) => this.idOf(p.Properties.FunctionName) === functionId)
      .map(([, p]) => {
        const { Principal, Action, SourceArn, SourceAccount } = p.Properties;
        const principal = this.str(Principal);
        const conditions: Record<string, Record<string, string>> = {};
        if (SourceArn !== undefined) conditions.ArnLike = { 'AWS:SourceArn': this.str(SourceArn) };
        if (SourceAccount !== undefined)
          conditions.StringEquals = { 'AWS:SourceAccount': this.str(SourceAccount) };
        return {
          Effect: 'Allow',
          Principal: SERVICE.test(principal) ? { Service: principal } : { AWS: principal },
          Action: this.str(Action),
          Resource: this.arnOf(functionId),
          ...(Object.keys(conditions).length ? { Condition: conditions } : {}),
        };
      });
    return { Version: '2012-10-17', Statement };
  }

  /** The KMS steps of writing to a resource encrypted with the key `keyRef` points at. */
  keySteps(
    keyRef: unknown,
    principal: string,
    identityPolicies: Policy[],
    context: Record<string, string>,
    unscopable?: string,
  ): Step[] {
    const keyId = this.idOf(keyRef);
    if (!keyId) return [];
    return ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
      principal,
      action,
      resource: this.arnOf(keyId),
      resourceAccount: ACCOUNT,
      identityPolicies,
      resourcePolicy: this.keyPolicy(keyId),
      context,
      ...(unscopable ? { unscopable } : {}),
    }));
  }

  /** Publishing to a topic (and its key) as `principal`. */
  publishSteps(
    topicId: string,
    principal: string,
    identityPolicies: Policy[],
    context: Record<string, string>,
    kmsUnscopable?: string,
  ): Step[] {
    const topic = this.resources[topicId];
    return [
      {
        principal,
        action: 'sns:Publish',
        resource: this.str({ Ref: topicId }),
        resourceAccount: ACCOUNT,
        identityPolicies,
        ...(this.topicPolicy(topicId) ? { resourcePolicy: this.topicPolicy(topicId) } : {}),
        context,
      },
      ...this.keySteps(topic?.Properties.KmsMasterKeyId, principal, identityPolicies, context, kmsUnscopable),
    ];
  }

  /** Sending to a queue (and its key) as `principal`. */
  sendSteps(
    queueId: string,
    principal: string,
    identityPolicies: Policy[],
    context: Record<string, string>,
    kmsUnscopable?: string,
  ): Step[] {
    const queue = this.resources[queueId];
    const policy = this.queuePolicy(queueId);
    return [
      {
        principal,
        action: 'sqs:SendMessage',
        resource: this.arnOf(queueId),
        resourceAccount: ACCOUNT,
        identityPolicies,
        ...(policy ? { resourcePolicy: policy } : {}),
        context,
      },
      ...this.keySteps(queue?.Properties.KmsMasterKeyId, principal, identityPolicies, context, kmsUnscopable),
    ];
  }
}

const TLS = { 'aws:SecureTransport': 'true' };
export const EVENTBRIDGE_KMS =
  'EventBridge sends no aws:SourceArn/aws:SourceAccount with its KMS requests (AWS: these keys are not supported in a key policy for EventBridge delivery), so its key grant cannot be scoped by them; the topic and queue policies scope the path';

/** Every delivery path of one synthesized template (single-account or central stack). */
export function deliveryPaths(template: Template): DeliveryPath[] {
  const m = new DeliveryModel(template);
  const paths: DeliveryPath[] = [];
  const service = (sourceArn: string) => ({
    ...TLS,
    'aws:SourceArn': sourceArn,
    'aws:SourceAccount': ACCOUNT,
  });
  const topicIds = new Set(m.ofType('AWS::SNS::Topic').map(([id]) => id));

  for (const [id, alarm] of m.ofType('AWS::CloudWatch::Alarm')) {
    const actions = [
      ...((alarm.Properties.AlarmActions as unknown[]) ?? []),
      ...((alarm.Properties.OKActions as unknown[]) ?? []),
    ];
    for (const topicId of new Set(actions.map((a) => m.idOf(a)).filter((t) => t && topicIds.has(t)))) {
      const name = m.str({ Ref: id });
      paths.push({
        name: `alarm ${name} → topic`,
        steps: m.publishSteps(topicId as string, 'cloudwatch.amazonaws.com', [], service(m.arnOf(id))),
      });
    }
  }

  for (const [id, rule] of m.ofType('AWS::Events::Rule')) {
    const ruleArn = m.arnOf(id);
    const ruleName = m.str({ Ref: id });
    const targets = (rule.Properties.Targets as Record<string, unknown>[]) ?? [];
    for (const target of targets) {
      const targetId = m.idOf(target.Arn);
      const targetType = targetId ? m.resources[targetId]?.Type : undefined;
      if (targetType === 'AWS::SNS::Topic') {
        // A rule with a second topic (self-protection's second channel) names which one.
        const topicCount = targets.filter(
          (t) => m.resources[m.idOf(t.Arn) ?? '']?.Type === 'AWS::SNS::Topic',
        ).length;
        paths.push({
          name: topicCount > 1 ? `rule ${ruleName} → ${targetId} topic` : `rule ${ruleName} → topic`,
          steps: m.publishSteps(
            targetId as string,
            'events.amazonaws.com',
            [],
            service(ruleArn),
            EVENTBRIDGE_KMS,
          ),
        });
      } else if (targetType === 'AWS::Lambda::Function') {
        paths.push({
          name: `rule ${ruleName} → function`,
          steps: [
            {
              principal: 'events.amazonaws.com',
              action: 'lambda:InvokeFunction',
              resource: m.arnOf(targetId as string),
              resourceAccount: ACCOUNT,
              identityPolicies: [],
              resourcePolicy: m.functionPolicy(targetId as string),
              context: service(ruleArn),
            },
          ],
        });
      } else {
        throw new Error(
          `rule ${ruleName}: a target the delivery matrix does not know: ${JSON.stringify(target.Arn)}`,
        );
      }
      const dlq = m.idOf((target.DeadLetterConfig as { Arn?: unknown } | undefined)?.Arn);
      if (dlq)
        paths.push({
          name: `rule ${ruleName} → dead-letter queue ${dlq}`,
          steps: m.sendSteps(dlq, 'events.amazonaws.com', [], service(ruleArn), EVENTBRIDGE_KMS),
        });
    }
  }

  for (const [id, subscription] of m.ofType('AWS::SNS::Subscription')) {
    const dlq = m.idOf(
      (subscription.Properties.RedrivePolicy as { deadLetterTargetArn?: unknown })?.deadLetterTargetArn,
    );
    if (!dlq) continue;
    const topicArn = m.str(subscription.Properties.TopicArn);
    paths.push({
      name: `subscription ${id} → dead-letter queue ${dlq}`,
      steps: m.sendSteps(dlq, 'sns.amazonaws.com', [], service(topicArn)),
    });
  }

  for (const [id, fn] of m.ofType('AWS::Lambda::Function')) {
    const roleId = m.idOf(fn.Properties.Role) as string;
    const roleArn = m.arnOf(roleId);
    const identity = m.roleIdentityPolicies(roleId);
    const env = (fn.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {};
    const topicId = m.idOf(env.NOTIFY_TOPIC_ARN);
    if (topicId)
      paths.push({ name: `function ${id} → topic`, steps: m.publishSteps(topicId, roleArn, identity, TLS) });
    // The chat rendering goes to a topic of its own (Amazon Q Developer in chat applications).
    const chatTopicId = m.idOf(env.CHAT_TOPIC_ARN);
    if (chatTopicId)
      paths.push({
        name: `function ${id} → chat topic`,
        steps: m.publishSteps(chatTopicId, roleArn, identity, TLS),
      });
    // The outcome as an event on the configured bus: a bus of this account, named by the user, so
    // outside the template; its own bus policy is not in the path (identity policy alone suffices).
    const bus = env.EVENT_BUS_NAME === undefined ? undefined : m.str(env.EVENT_BUS_NAME);
    if (bus)
      paths.push({
        name: `function ${id} → event bus`,
        steps: [
          {
            principal: roleArn,
            action: 'events:PutEvents',
            resource: bus.startsWith('arn:') ? bus : `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${bus}`,
            resourceAccount: ACCOUNT,
            identityPolicies: identity,
            context: TLS,
          },
        ],
      });
    for (const [, config] of m.ofType('AWS::Lambda::EventInvokeConfig')) {
      if (m.idOf(config.Properties.FunctionName) !== id) continue;
      const onFailure = (config.Properties.DestinationConfig as { OnFailure?: { Destination: unknown } })
        ?.OnFailure?.Destination;
      const queueId = m.idOf(onFailure);
      if (queueId)
        paths.push({
          name: `function ${id} on-failure destination → queue ${queueId}`,
          steps: m.sendSteps(queueId, roleArn, identity, TLS),
        });
    }
  }

  // A custom resource whose provider function invokes the guard (the deploy-time reconcile).
  for (const [id, custom] of Object.entries(m.resources).filter(([, r]) => r.Type.startsWith('Custom::'))) {
    const providerId = m.idOf(custom.Properties.ServiceToken);
    const fnId = m.idOf(custom.Properties.FunctionName);
    if (!providerId || !fnId || m.resources[fnId]?.Type !== 'AWS::Lambda::Function') continue;
    const roleId = m.idOf(m.resources[providerId]?.Properties.Role) as string;
    paths.push({
      name: `deploy-time reconcile ${id} → function`,
      steps: [
        {
          principal: m.arnOf(roleId),
          action: 'lambda:InvokeFunction',
          resource: m.arnOf(fnId),
          resourceAccount: ACCOUNT,
          identityPolicies: m.roleIdentityPolicies(roleId),
          resourcePolicy: m.functionPolicy(fnId),
          context: TLS,
        },
      ],
    });
  }
  return paths;
}

/** The statements of a policy that allow `service`. */
export function serviceStatements(policy: Policy | undefined, service: string): Record<string, unknown>[] {
  const statements = ((policy?.Statement as Record<string, unknown>[]) ?? []).filter(
    (s) => s.Effect === 'Allow',
  );
  return statements.filter((s) => {
    const p = s.Principal as { Service?: string | string[] } | undefined;
    return [p?.Service ?? []].flat().includes(service);
  });
}

export { ACCOUNT, REGION };
