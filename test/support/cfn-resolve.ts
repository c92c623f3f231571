/**
 * Resolves the intrinsic functions of a synthesized policy document to concrete values, so a
 * real policy evaluator can judge it: pseudo parameters, Fn::Join, and Ref / Fn::GetAtt of the
 * template's resources (each given a realistic ARN built from its type and logical id).
 */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

type Template = {
  [key: string]: unknown;
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

function arnOf(type: string, id: string, properties: Record<string, unknown> = {}): string {
  const name = typeof properties.Name === 'string' ? properties.Name : id;
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
      return `arn:aws:iam::${ACCOUNT}:role/${id}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
    case 'AWS::DynamoDB::GlobalTable':
      return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`;
    case 'AWS::Events::Rule':
      return name;
    default:
      return `arn:aws:unknown:${REGION}:${ACCOUNT}:${id}`;
  }
}

export function resolve(value: unknown, template: Template): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, template));
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  if ('Ref' in obj) {
    const ref = obj.Ref as string;
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::AccountId': ACCOUNT,
      'AWS::Region': REGION,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (ref in pseudo) return pseudo[ref];
    const resource = template.Resources?.[ref];
    if (!resource) throw new Error(`unknown Ref ${ref}`);
    return arnOf(resource.Type, ref, resource.Properties);
  }
  if ('Fn::GetAtt' in obj) {
    const [id, attr] = obj['Fn::GetAtt'] as [string, string];
    const resource = template.Resources?.[id];
    if (!resource || attr !== 'Arn') throw new Error(`cannot resolve GetAtt ${id}.${attr}`);
    return arnOf(resource.Type, id, resource.Properties);
  }
  if ('Fn::Join' in obj) {
    const [separator, parts] = obj['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolve(p, template)).join(separator);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolve(v, template)]));
}
