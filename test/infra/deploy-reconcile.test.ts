import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthGuard } from '../support/stack.js';

/** The deploy-time reconcile in the synthesized templates: it runs on every configuration change, and waits long enough. */
type Resource = { Type: string; Properties: Record<string, unknown> };

function parts(template: { Resources?: unknown }) {
  const resources = Object.entries(template.Resources as Record<string, Resource>);
  const custom = resources.filter(([, r]) => r.Type === 'Custom::SupportRoleReconcile');
  expect(custom, 'one deploy-time reconcile resource').toHaveLength(1);
  const [, reconcile] = custom[0] as [string, Resource];
  const providerId = (reconcile.Properties.ServiceToken as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
  const provider = (template.Resources as Record<string, Resource>)[providerId] as Resource;
  const guardId = (reconcile.Properties.FunctionName as { Ref: string }).Ref;
  const guard = (template.Resources as Record<string, Resource>)[guardId] as Resource;
  return { reconcile, provider, guard };
}

const single = synthGuard().template.toJSON();
const { app } = synthGuard({ organizationId: 'o-abcdef1234', targetOuIds: 'ou-ab12-cdef5678' });
const central = Template.fromStack(app.node.findChild('SupportRoleGuardCentral') as never).toJSON();

describe('deploy-time reconcile resource', () => {
  it.each([
    ['single-account', single, 60],
    ['central', central, 300],
  ] as const)(
    '%s: the provider outwaits the guard, and CloudFormation outwaits the provider',
    (_n, template, guardTimeout) => {
      const { reconcile, provider, guard } = parts(template);
      expect(guard.Properties.Timeout).toBe(guardTimeout);
      expect(provider.Properties.Timeout as number).toBeGreaterThan(guardTimeout);
      expect(Number(reconcile.Properties.ServiceTimeout)).toBeGreaterThan(
        provider.Properties.Timeout as number,
      );
    },
  );

  it('runs again on every configuration change (its properties carry the configuration hash)', () => {
    const a = parts(synthGuard({ mode: 'enforce' }).template.toJSON()).reconcile.Properties;
    const b = parts(synthGuard({ mode: 'detect' }).template.toJSON()).reconcile.Properties;
    expect(a.ConfigurationHash).not.toEqual(b.ConfigurationHash);
    expect(a.Mode).toBe('enforce');
    expect(b.Mode).toBe('detect');
    const again = parts(synthGuard({ mode: 'enforce' }).template.toJSON()).reconcile.Properties;
    expect(again).toEqual(a); // same configuration, same properties: no reconcile on an unrelated deploy
  });

  it("is inline code within CloudFormation's 4096-byte limit, on the current Node runtime", () => {
    const { provider } = parts(single);
    const code = (provider.Properties.Code as { ZipFile: string }).ZipFile;
    expect(code.length).toBeGreaterThan(500);
    expect(code.length).toBeLessThanOrEqual(4096);
    expect(provider.Properties).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler' });
  });

  it('organization mode passes a completed sweep unless more than 10 % of the accounts failed', () => {
    expect(parts(central).reconcile.Properties.MaxFailedPercent).toBe('10');
    expect(parts(single).reconcile.Properties.MaxFailedPercent).toBeUndefined();
  });

  it('sends a sweep the guard recognises (Scheduled Event from aws.events)', () => {
    const { reconcile } = parts(single);
    const event = JSON.stringify(reconcile.Properties.Event);
    expect(event).toContain('Scheduled Event');
    expect(event).toContain('aws.events');
  });
});
