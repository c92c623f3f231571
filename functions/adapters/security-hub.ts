import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  BatchImportFindingsCommand,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import type { AsffFinding, ControlFinding, FindingAnnotation, FindingFilters } from '../core/findings.js';
import type { FindingsHub } from '../core/ports.js';

/** Each batch call takes at most 100 findings; GetFindings returns at most 100 a page. */
const BATCH = 100;
/** An account has a handful of IAM.18 findings (one per standard at most): 5 pages is plenty. */
const MAX_PAGES = 5;

const chunks = <T>(items: readonly T[]): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
};

const controlFinding = (f: AwsSecurityFinding): ControlFinding => ({
  id: f.Id ?? '',
  productArn: f.ProductArn ?? '',
  ...(f.AwsAccountId ? { awsAccountId: f.AwsAccountId } : {}),
  ...(f.Compliance?.SecurityControlId ? { controlId: f.Compliance.SecurityControlId } : {}),
  ...(f.Compliance?.Status ? { complianceStatus: f.Compliance.Status } : {}),
  ...(f.RecordState ? { recordState: f.RecordState } : {}),
  ...(f.Workflow?.Status ? { workflowStatus: f.Workflow.Status } : {}),
});

/**
 * Security Hub (CSPM) over @aws-sdk/client-securityhub: GetFindings, BatchUpdateFindings,
 * BatchImportFindings (the ASFF calls; see docs/runbook.md on the V2 calls).
 */
export class AwsSecurityHub implements FindingsHub {
  readonly #client: SecurityHubClient;

  constructor(client: SecurityHubClient) {
    this.#client = client;
  }

  async findings(filters: FindingFilters): Promise<readonly ControlFinding[]> {
    const found: ControlFinding[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.#client.send(
        new GetFindingsCommand({
          Filters: filters as AwsSecurityFindingFilters,
          MaxResults: BATCH,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      found.push(...(out.Findings ?? []).map(controlFinding));
      token = out.NextToken || undefined;
      if (!token) break;
    }
    return found;
  }

  async annotate(
    findings: readonly ControlFinding[],
    annotation: FindingAnnotation,
  ): Promise<readonly string[]> {
    const unprocessed: string[] = [];
    for (const batch of chunks(findings)) {
      const out = await this.#client.send(
        new BatchUpdateFindingsCommand({
          FindingIdentifiers: batch.map((f) => ({ Id: f.id, ProductArn: f.productArn })),
          Note: { Text: annotation.note, UpdatedBy: annotation.updatedBy },
          Workflow: { Status: annotation.status },
        }),
      );
      unprocessed.push(...(out.UnprocessedFindings ?? []).map((u) => u.FindingIdentifier?.Id ?? ''));
    }
    return unprocessed;
  }

  async importFindings(findings: readonly AsffFinding[]): Promise<readonly string[]> {
    const failed: string[] = [];
    for (const batch of chunks(findings)) {
      const out = await this.#client.send(
        new BatchImportFindingsCommand({ Findings: batch as unknown as AwsSecurityFinding[] }),
      );
      failed.push(...(out.FailedFindings ?? []).map((f) => f.Id ?? ''));
    }
    return failed;
  }
}
