import type { Trigger } from './classify-event.js';
import { describeError } from './errors.js';
import type {
  AsffFinding,
  AsffResource,
  ControlFinding,
  FindingAnnotation,
  FindingFilters,
  SecurityHubOptions,
  WorkflowStatus,
} from './findings.js';
import type { FindingsHub } from './ports.js';
import type { ActionResult, DriftEntry, Outcome } from './results.js';
import { cutText, oneLine } from './safe-text.js';

/**
 * What the guard tells AWS Security Hub (CSPM), both optional and off by default:
 * - it annotates the account's open IAM.18 control findings after a repair or when it finds drift
 *   (a Note, and a workflow status by the rule in `workflowFor`);
 * - it imports one finding of its own per tampering act (who, what, from where), with the
 *   CloudTrail event id as its Id so that a retried event updates the finding instead of adding one.
 * Security Hub is best effort: `reportToSecurityHub` never throws; the repair and the SNS message
 * never wait for it to succeed.
 */

/** The Security Hub control of the CIS "AWS Support role" check (CIS 1.17 / 1.16 / 1.20). */
export const IAM18_CONTROL_ID = 'IAM.18';
/** Note.UpdatedBy on every annotation. */
export const FINDING_UPDATED_BY = 'support-role-guard';
/** BatchUpdateFindings: Note.Text is at most 512 characters. */
export const NOTE_MAX_LENGTH = 512;
export const FINDING_GENERATOR_ID = 'support-role-guard/tampering';

export type { SecurityHubOptions } from './findings.js';

/** Where the guard's annotations may land: its own account, in its region and partition. */
export interface FindingScope {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

/** Security Hub's own product in a region: the producer of the IAM.18 control findings. */
export const securityHubProductArn = (scope: FindingScope): string =>
  `arn:${scope.partition}:securityhub:${scope.region}::product/aws/securityhub`;

/**
 * Open IAM.18 findings of one account: Security Hub's own product, control IAM.18, compliance
 * FAILED, record ACTIVE, not suppressed.
 */
export function controlFindingFilters(scope: FindingScope): FindingFilters {
  return {
    AwsAccountId: [{ Value: scope.account, Comparison: 'EQUALS' }],
    ProductArn: [{ Value: securityHubProductArn(scope), Comparison: 'EQUALS' }],
    ComplianceSecurityControlId: [{ Value: IAM18_CONTROL_ID, Comparison: 'EQUALS' }],
    ComplianceStatus: [{ Value: 'FAILED', Comparison: 'EQUALS' }],
    RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
    WorkflowStatus: [{ Value: 'SUPPRESSED', Comparison: 'NOT_EQUALS' }],
  };
}

/**
 * The same test on a returned finding: the guard never annotates a finding the filters should
 * have excluded (another product, control or account, passed, archived, or suppressed by a
 * person). IAM cannot scope BatchUpdateFindings to findings, so this is where it is scoped.
 */
export function isOpenControlFinding(finding: ControlFinding, scope: FindingScope): boolean {
  return (
    finding.productArn === securityHubProductArn(scope) &&
    finding.awsAccountId === scope.account &&
    finding.controlId === IAM18_CONTROL_ID &&
    finding.complianceStatus === 'FAILED' &&
    finding.recordState === 'ACTIVE' &&
    finding.workflowStatus !== 'SUPPRESSED'
  );
}

/**
 * The workflow rule (docs/runbook.md, "Security Hub"): NOTIFIED whenever the guard has something
 * to say (a verified repair, drift found in detect mode or not fixable in place, a failed repair),
 * nothing otherwise (compliant, ignored, not enrolled). The Note says which it was.
 *
 * Never RESOLVED: Security Hub owns that transition. It sets RESOLVED itself when the control's
 * compliance becomes PASSED, and moves NOTIFIED or RESOLVED back to NEW when compliance changes
 * from PASSED to FAILED (API reference, Workflow.Status). A guard that wrote RESOLVED after its
 * own repair would claim a result the control has not checked yet (IAM.18 is periodic) and would
 * fight Security Hub's own state machine. NOTIFIED ("the resource owner was told") is what the
 * guard knows: on-call received the message.
 */
export function workflowFor(outcome: Outcome): WorkflowStatus | undefined {
  switch (outcome) {
    case 'remediated':
    case 'drift-detected':
    case 'failed':
      return 'NOTIFIED';
    default:
      return undefined;
  }
}

export interface SecurityHubReportInput {
  /** The guard's own account, from its configuration (never from an event). */
  readonly account: string;
  readonly region: string;
  readonly partition: string;
  readonly roleName: string;
  readonly rolePath: string;
  readonly mode: string;
  readonly outcome: Outcome;
  readonly time: Date;
  readonly trigger?: Trigger;
  /** The trigger was a tampering act (isTamperingAct): it gets a finding of its own. */
  readonly tampering: boolean;
  /** The act was folded into a storm follow-up: imported, but the control findings are not annotated again. */
  readonly folded: boolean;
  readonly drift: readonly DriftEntry[];
  readonly actions: readonly ActionResult[];
  readonly error?: string;
  /** The desired state's required policies include the partition's AWSSupportAccess. */
  readonly holdsSupportAccess: boolean;
}

export interface SecurityHubReport {
  readonly annotated: number;
  readonly imported: number;
  /** What went wrong, one entry per failed step (logged and counted by the caller). */
  readonly failures: readonly string[];
}

const actionsDone = (actions: readonly ActionResult[]): string => {
  const done = actions.filter((a) => a.status === 'succeeded').map((a) => a.detail ?? a.api);
  return done.length > 0 ? done.join('; ') : 'nothing';
};

const eventPart = (t: Trigger | undefined): string =>
  t
    ? `CloudTrail event ${oneLine(t.eventId, 100)} (${t.eventName} by ${oneLine(t.actorArn, 200)})`
    : 'found by the scheduled sweep';

/**
 * The Note: what was restored (or found), when, and the CloudTrail event, in at most 512
 * characters. The head (role, account, time, event id) always fits; the list of actions is cut.
 */
export function annotationNote(input: SecurityHubReportInput): string {
  const at = input.time.toISOString();
  const role = `${oneLine(input.roleName, 64)} in ${oneLine(input.account, 12)}`;
  const resolves = input.holdsSupportAccess
    ? 'Security Hub resolves this finding when IAM.18 next passes.'
    : 'the desired state does not hold AWSSupportAccess: IAM.18 may keep failing.';
  const head =
    input.outcome === 'remediated'
      ? `support-role-guard restored ${role} and verified it at ${at}; ${eventPart(input.trigger)}. ${resolves} Restored: `
      : input.outcome === 'failed'
        ? `support-role-guard could NOT restore ${role} at ${at}; ${eventPart(input.trigger)}. Error: `
        : `support-role-guard found ${role} drifted at ${at} (${input.mode === 'detect' ? 'detect mode, nothing changed' : 'not fixable in place'}); ${eventPart(input.trigger)}. Drift: `;
  const body =
    input.outcome === 'remediated'
      ? actionsDone(input.actions)
      : input.outcome === 'failed'
        ? (input.error ?? 'unknown')
        : input.drift.map((d) => d.property).join(', ') || 'none';
  return cutText(`${cutText(head, NOTE_MAX_LENGTH - 40)}${oneLine(body, NOTE_MAX_LENGTH)}`, NOTE_MAX_LENGTH);
}

const TTP_BY_EVENT: Readonly<Record<string, string>> = {
  UpdateAssumeRolePolicy: 'TTPs/Persistence',
  AttachRolePolicy: 'TTPs/Privilege Escalation',
  PutRolePolicy: 'TTPs/Privilege Escalation',
  DeleteRolePermissionsBoundary: 'TTPs/Privilege Escalation',
  PutRolePermissionsBoundary: 'TTPs/Defense Evasion',
};

const CIS_TYPE =
  'Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark';

/** A value safe as an ASFF Id part: the CloudTrail event id is a UUID; anything else is reduced to [\w.:-]. */
const idPart = (value: string): string => value.replace(/[^\w.:-]/g, '_').slice(0, 128);

const resourceType = (arn: string): string =>
  /^arn:[\w-]+:iam::\d{12}:user\//.test(arn)
    ? 'AwsIamUser'
    : /^arn:[\w-]+:iam::\d{12}:role\//.test(arn)
      ? 'AwsIamRole'
      : 'Other';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Bounds a machine value (ARN, id) for ASFF: control characters out, length capped, never empty. */
const exact = (value: string | undefined, max: number): string => {
  const clean = (value ?? '').replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
  return cutText(clean === '' ? 'unknown' : clean, max);
};

/**
 * One ASFF finding for one tampering act: the role as the resource, the actor as a second
 * resource, the call and its source IP as the finding's Action. Its Id is the CloudTrail event id,
 * so a retried or redelivered event updates this finding rather than adding another.
 */
export function tamperingFinding(input: SecurityHubReportInput & { readonly trigger: Trigger }): AsffFinding {
  const t = input.trigger;
  const { account, region, partition } = input;
  const roleArn = `arn:${partition}:iam::${account}:role${input.rolePath}${input.roleName}`;
  const ttp = TTP_BY_EVENT[t.eventName] ?? 'TTPs/Defense Evasion';
  const types = [ttp, CIS_TYPE];
  const label = input.outcome === 'failed' ? 'CRITICAL' : ttp === 'TTPs/Defense Evasion' ? 'MEDIUM' : 'HIGH';
  const observed = t.eventTime && ISO_TIME.test(t.eventTime) ? t.eventTime : undefined;
  const now = input.time.toISOString();
  const actor = t.actorArn ? exact(t.actorArn, 512) : undefined;
  const resources: AsffResource[] = [
    { Type: 'AwsIamRole', Id: roleArn, Partition: partition, Region: region },
    ...(actor ? [{ Type: resourceType(actor), Id: actor, Partition: partition, Region: region }] : []),
  ];
  const ip = t.sourceIp && IPV4.test(t.sourceIp) ? t.sourceIp : undefined;
  const outcomeWords: Record<string, string> = {
    remediated: 'The guard restored the role and verified it.',
    compliant: 'The role was already back in its desired state when the guard checked.',
    'drift-detected':
      input.mode === 'detect'
        ? 'The guard runs in detect mode and changed nothing.'
        : 'Drift IAM cannot fix in place remains.',
    failed: 'The guard could NOT restore the role.',
  };
  const description = [
    `${t.eventName} on the AWS Support role ${oneLine(input.roleName, 64)} (CIS 1.17 / IAM.18) by ${oneLine(t.actorArn, 300)} from ${oneLine(t.sourceIp, 100)}.`,
    outcomeWords[input.outcome] ?? '',
    input.outcome === 'remediated' ? `Restored: ${oneLine(actionsDone(input.actions), 400)}.` : '',
  ]
    .filter((s) => s !== '')
    .join(' ');
  return {
    SchemaVersion: '2018-10-08',
    Id: `${FINDING_GENERATOR_ID}/${idPart(t.eventId)}`,
    ProductArn: `arn:${partition}:securityhub:${region}:${account}:product/${account}/default`,
    GeneratorId: FINDING_GENERATOR_ID,
    AwsAccountId: account,
    Types: types,
    CreatedAt: observed ?? now,
    UpdatedAt: now,
    ...(observed ? { FirstObservedAt: observed, LastObservedAt: observed } : {}),
    Severity: { Label: label },
    FindingProviderFields: { Severity: { Label: label }, Types: types },
    Title: cutText(`AWS Support role tampered with: ${t.eventName} on ${oneLine(input.roleName, 64)}`, 256),
    Description: cutText(description, 1024),
    ProductName: 'support-role-guard',
    CompanyName: 'support-role-guard',
    Region: region,
    Resources: resources,
    Action: {
      ActionType: 'AWS_API_CALL',
      AwsApiCallAction: {
        Api: t.eventName,
        ServiceName: 'iam.amazonaws.com',
        ...(ip
          ? { CallerType: 'remoteip' as const, RemoteIpDetails: { IpAddressV4: ip } }
          : { CallerType: 'domain' as const, DomainDetails: { Domain: exact(t.sourceIp, 128) } }),
        ...(observed ? { FirstSeen: observed, LastSeen: observed } : {}),
      },
    },
    ProductFields: {
      'support-role-guard/eventId': exact(t.eventId, 128),
      'support-role-guard/eventName': t.eventName,
      'support-role-guard/actorArn': exact(t.actorArn, 1024),
      'support-role-guard/sourceIpAddress': exact(t.sourceIp, 256),
      'support-role-guard/userAgent': exact(t.userAgent, 1024),
      'support-role-guard/outcome': input.outcome,
      'support-role-guard/mode': input.mode,
    },
    Remediation: {
      Recommendation: {
        Text: cutText(
          `Ask ${oneLine(t.actorArn, 200)} why they changed the support role; if unexpected, treat it as an incident: revoke the actor's sessions and keys (docs/runbook.md).`,
          512,
        ),
      },
    },
    RecordState: 'ACTIVE',
  };
}

/**
 * Annotates the open IAM.18 findings and imports the act's own finding, each if switched on.
 * Never throws: every failure is returned in `failures` for the caller to log and count.
 */
export async function reportToSecurityHub(
  input: SecurityHubReportInput,
  hub: FindingsHub,
  options: SecurityHubOptions,
): Promise<SecurityHubReport> {
  const failures: string[] = [];
  const status = workflowFor(input.outcome);
  const annotate = async (): Promise<number> => {
    if (!options.annotateControlFindings || status === undefined || input.folded) return 0;
    try {
      const scope: FindingScope = {
        account: input.account,
        region: input.region,
        partition: input.partition,
      };
      const open = (await hub.findings(controlFindingFilters(scope))).filter((f) =>
        isOpenControlFinding(f, scope),
      );
      if (open.length === 0) return 0;
      const annotation: FindingAnnotation = {
        note: annotationNote(input),
        updatedBy: FINDING_UPDATED_BY,
        status,
      };
      const unprocessed = await hub.annotate(open, annotation);
      if (unprocessed.length > 0)
        failures.push(`BatchUpdateFindings left ${unprocessed.length} finding(s) unprocessed`);
      return open.length - unprocessed.length;
    } catch (error) {
      failures.push(`annotating the ${IAM18_CONTROL_ID} findings failed: ${describeError(error)}`);
      return 0;
    }
  };
  const importAct = async (): Promise<number> => {
    const trigger = input.trigger;
    if (!options.importTamperingFindings || !input.tampering || !trigger) return 0;
    try {
      const failed = await hub.importFindings([tamperingFinding({ ...input, trigger })]);
      if (failed.length > 0) failures.push(`BatchImportFindings failed for ${failed.length} finding(s)`);
      return 1 - failed.length;
    } catch (error) {
      failures.push(`importing the tampering finding failed: ${describeError(error)}`);
      return 0;
    }
  };
  const [annotated, imported] = await Promise.all([annotate(), importAct()]);
  return { annotated, imported, failures };
}
