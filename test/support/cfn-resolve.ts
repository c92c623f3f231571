/**
 * Resolves the intrinsic functions of a synthesized policy document to concrete values, so a
 * real policy evaluator can judge it: pseudo parameters, template parameters (given), Fn::Join,
 * and Ref / Fn::GetAtt of the template's resources (each given a realistic ARN or name built from
 * its type, its name property and its logical id, as CloudFormation returns them).
 */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export type Template = {
  [key: string]: unknown;
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

function nameOf(properties: Record<string, unknown>, key: string, id: string, template: Template): string {
  const value = properties[key];
  if (value === undefined) return id;
  const resolved = resolve(value, template);
  return typeof resolved === 'string' ? resolved : id;
}

function arnOf(
  type: string,
  id: string,
  template: Template,
  properties: Record<string, unknown> = {},
): string {
  switch (type) {
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`;
    case 'AWS::KMS::Key':
      return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
    case 'AWS::SQS::Queue':
      return `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`;
    case 'AWS::Logs::LogGroup':
      return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${ACCOUNT}:role${typeof properties.Path === 'string' ? properties.Path : '/'}${nameOf(properties, 'RoleName', id, template)}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${nameOf(properties, 'FunctionName', id, template)}`;
    case 'AWS::DynamoDB::GlobalTable':
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`;
    case 'AWS::CloudWatch::Alarm':
      return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${nameOf(properties, 'AlarmName', id, template)}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${nameOf(properties, 'Name', id, template)}`;
    case 'AWS::Events::Rule': {
      // A rule on a custom bus has the bus name in its ARN.
      const name = nameOf(properties, 'Name', id, template);
      const bus =
        properties.EventBusName === undefined ? undefined : resolve(properties.EventBusName, template);
      return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus && bus !== 'default' ? `${bus}/` : ''}${name}`;
    }
    default:
      return `arn:aws:unknown:${REGION}:${ACCOUNT}:${id}`;
  }
}

/** What `Ref` returns: the name for rules, buses, functions, alarms and roles, a key's id, a queue's URL, the ARN (or URL, here the ARN) otherwise. */
function refOf(
  type: string,
  id: string,
  template: Template,
  properties: Record<string, unknown> = {},
): string {
  switch (type) {
    case 'AWS::Events::Rule':
    case 'AWS::Events::EventBus':
      return nameOf(properties, 'Name', id, template);
    case 'AWS::Lambda::Function':
      return nameOf(properties, 'FunctionName', id, template);
    case 'AWS::CloudWatch::Alarm':
      return nameOf(properties, 'AlarmName', id, template);
    case 'AWS::IAM::Role':
      return nameOf(properties, 'RoleName', id, template);
    case 'AWS::KMS::Key':
      return id; // the key id (its ARN ends in key/<id>)
    case 'AWS::SQS::Queue':
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
    default:
      return arnOf(type, id, template, properties);
  }
}

/** Resolves `value` against `template`; `parameters` gives the values of the template's parameters. */
export function resolve(
  value: unknown,
  template: Template,
  parameters: Record<string, string> = {},
): unknown {
  const again = (v: unknown) => resolve(v, template, parameters);
  if (Array.isArray(value)) return value.map(again);
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  if ('Ref' in obj) {
    const ref = obj.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
      'AWS::URLSuffix': 'amazonaws.com',
      ...parameters,
    };
    if (ref in pseudo) return pseudo[ref];
    const resource = template.Resources?.[ref];
    if (!resource) throw new Error(`unknown Ref ${ref}`);
    return refOf(resource.Type, ref, template, resource.Properties);
  }
  if ('Fn::GetAtt' in obj) {
    const [id, attr] = obj['Fn::GetAtt'] as [string, string];
    const resource = template.Resources?.[id];
    if (resource?.Type === 'AWS::SQS::Queue' && attr === 'QueueName')
      return nameOf(resource.Properties ?? {}, 'QueueName', id, template);
    if (!resource || attr !== 'Arn') throw new Error(`cannot resolve GetAtt ${id}.${attr}`);
    return arnOf(resource.Type, id, template, resource.Properties);
  }
  if ('Fn::Join' in obj) {
    const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
    return parts.map(again).join(separator);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, again(v)]));
}
