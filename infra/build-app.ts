import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import {
  ORGANIZATION_CONTEXT_KEYS,
  type OrganizationContext,
  organizationFromContext,
} from './organization-settings.js';
import { type GuardContext, settingsFromContext } from './settings.js';
import { CENTRAL_STACK_NAME, IAM_EVENTS_REGION, STACK_NAME, SupportRoleGuardStack } from './stack.js';

const CONTEXT_KEYS = [
  'supportRoleName',
  'trustedPrincipalArns',
  'requiredPolicyArns',
  'mode',
  'notifyEmails',
  'notifyHttpsEndpoints',
  'sweepSchedule',
  'supportRolePath',
  'supportRoleDescription',
  'supportRoleTags',
  'maxSessionDuration',
  'permissionsBoundaryArn',
  'requireMfa',
  'eventBusName',
] as const;

/** Builds the app from CDK context (`-c key=value`); cdk-nag runs on every synth. */
export function buildApp(app: App = new App()): {
  app: App;
  stack: SupportRoleGuardStack;
  central?: SupportRoleGuardStack;
} {
  const context: GuardContext = {};
  for (const key of CONTEXT_KEYS) {
    const value: unknown = app.node.tryGetContext(key);
    if (value !== undefined && value !== null) context[key] = String(value);
  }
  const region = String(
    app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? IAM_EVENTS_REGION,
  );
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const settings = settingsFromContext(context, region);
  const stack = new SupportRoleGuardStack(app, STACK_NAME, {
    env: { region, ...(account ? { account } : {}) },
    settings,
    description: 'support-role-guard: keeps the AWS Support role (CIS 1.17 / Security Hub IAM.18) in place',
  });
  const orgContext: OrganizationContext = {};
  for (const key of ORGANIZATION_CONTEXT_KEYS) {
    const value: unknown = app.node.tryGetContext(key);
    if (value !== undefined && value !== null) orgContext[key] = String(value);
  }
  const organization = organizationFromContext(orgContext);
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
