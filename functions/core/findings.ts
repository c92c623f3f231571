/**
 * Security Hub findings as plain data (the FindingsHub port carries them; security-hub.ts builds
 * them; the adapter maps them onto @aws-sdk/client-securityhub). Only the fields the guard uses.
 */

/** What the guard tells Security Hub; both off by default (functions/core/security-hub.ts). */
export interface SecurityHubOptions {
  /** GetFindings + BatchUpdateFindings on the account's IAM.18 findings (SECURITY_HUB_ANNOTATE). */
  readonly annotateControlFindings: boolean;
  /** BatchImportFindings, one finding per tampering act (SECURITY_HUB_IMPORT_FINDINGS). */
  readonly importTamperingFindings: boolean;
}

/**
 * The one workflow state the guard sets on a control finding: NOTIFIED. Never NEW, SUPPRESSED or
 * RESOLVED: Security Hub itself resolves the finding when the control passes (docs/runbook.md).
 */
export type WorkflowStatus = 'NOTIFIED';

/** A control finding as GetFindings returns it, reduced to what the guard reads. */
export interface ControlFinding {
  readonly id: string;
  readonly productArn: string;
  readonly awsAccountId?: string;
  readonly controlId?: string;
  readonly complianceStatus?: string;
  readonly recordState?: string;
  readonly workflowStatus?: string;
}

/** The annotation written on each control finding with BatchUpdateFindings. */
export interface FindingAnnotation {
  /** At most 512 characters (the service's limit for Note.Text). */
  readonly note: string;
  readonly updatedBy: string;
  readonly status: WorkflowStatus;
}

/** A GetFindings filter on one string field (AwsSecurityFindingFilters). */
export interface StringFilter {
  readonly Value: string;
  readonly Comparison: 'EQUALS' | 'NOT_EQUALS';
}

export type FindingFilters = Readonly<Record<string, readonly StringFilter[]>>;

export interface AsffResource {
  readonly Type: string;
  readonly Id: string;
  readonly Partition?: string;
  readonly Region?: string;
}

/** One finding in the AWS Security Finding Format, as the guard imports it (BatchImportFindings). */
export interface AsffFinding {
  readonly SchemaVersion: '2018-10-08';
  readonly Id: string;
  readonly ProductArn: string;
  readonly GeneratorId: string;
  readonly AwsAccountId: string;
  readonly Types: readonly string[];
  readonly CreatedAt: string;
  readonly UpdatedAt: string;
  readonly FirstObservedAt?: string;
  readonly LastObservedAt?: string;
  readonly Severity: { readonly Label: 'MEDIUM' | 'HIGH' | 'CRITICAL' };
  readonly FindingProviderFields: {
    readonly Severity: { readonly Label: 'MEDIUM' | 'HIGH' | 'CRITICAL' };
    readonly Types: readonly string[];
  };
  readonly Title: string;
  readonly Description: string;
  readonly ProductName: string;
  readonly CompanyName: string;
  readonly Region: string;
  readonly SourceUrl?: string;
  readonly Resources: readonly AsffResource[];
  readonly Action?: {
    readonly ActionType: 'AWS_API_CALL';
    readonly AwsApiCallAction: {
      readonly Api: string;
      readonly ServiceName: string;
      readonly CallerType: 'remoteip' | 'domain';
      readonly RemoteIpDetails?: { readonly IpAddressV4: string };
      readonly DomainDetails?: { readonly Domain: string };
      readonly FirstSeen?: string;
      readonly LastSeen?: string;
    };
  };
  readonly ProductFields: Readonly<Record<string, string>>;
  readonly Remediation: { readonly Recommendation: { readonly Text: string } };
  readonly RecordState: 'ACTIVE';
}
