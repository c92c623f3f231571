import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import {
  ORGANIZATION_CONTEXT_KEYS,
  type OrganizationContext,
  organizationFromContext,
} from './organization-settings.js';
import { GUARD_CONTEXT_KEYS, type GuardContext, settingsFromContext } from './settings.js';
import { CENTRAL_STACK_NAME, IAM_EVENTS_REGION, STACK_NAME, SupportRoleGuardStack } from './stack.js';

/** The given keys' values from CDK context (`-c key=value`), as strings. */
function readContext<K extends string>(app: App, keys: readonly K[]): Partial<Record<K, string>> {
  const context: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value: unknown = app.node.tryGetContext(key);
    if (value !== undefined && value !== null) context[key] = String(value);
  }
  return context;
}

/** Builds the app from CDK context (`-c key=value`); cdk-nag runs on every synth. */
export function buildApp(app: App = new App()): {
  app: App;
  stack: SupportRoleGuardStack;
  central?: SupportRoleGuardStack;
} {
  const context: GuardContext = readContext(app, GUARD_CONTEXT_KEYS);
  const region = String(
    app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? IAM_EVENTS_REGION,
  );
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const orgContext: OrganizationContext = readContext(app, ORGANIZATION_CONTEXT_KEYS);
  const organization = organizationFromContext(orgContext);
  const settings = settingsFromContext(context, region, { organizationMode: organization !== undefined });
  const stack = new SupportRoleGuardStack(app, STACK_NAME, {
    env: { region, ...(account ? { account } : {}) },
    settings,
    description: 'support-role-guard: keeps the AWS Support role (CIS 1.17 / Security Hub IAM.18) in place',
  });
  const central = organization
    ? new SupportRoleGuardStack(app, CENTRAL_STACK_NAME, {
        env: { region, ...(account ? { account } : {}) },
        settings,
        organization,
        description:
          'support-role-guard (central): keeps the AWS Support role in place in every account of the organization',
      })
    : undefined;
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, stack, ...(central ? { central } : {}) };
}
