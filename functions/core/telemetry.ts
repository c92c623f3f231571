/** Names shared by the handler (which emits them) and the stack (whose alarms read them). */
export const SERVICE_NAME = 'support-role-guard';
export const METRICS_NAMESPACE = 'SupportRoleGuard';

/** One EMF metric per outcome. */
export const OUTCOME_METRICS = {
  remediated: 'Remediated',
  'drift-detected': 'DriftDetected',
  failed: 'RemediationFailed',
  ignored: 'EventIgnored',
  compliant: 'Compliant',
  'not-enrolled': 'NotEnrolled',
} as const;

/** Counted once per successful scheduled sweep; the stack alarms when it stops. */
export const SWEEP_METRIC = 'SweepCompleted';

/**
 * An organization sweep could not read the member StackSet's instances: its unreachable accounts
 * stay `failed`, with the reason.
 */
export const ENROLMENT_READ_FAILED_METRIC = 'EnrolmentReadFailed';

/** A repeated delivery of an event already handled (answered from the idempotency record). */
export const DUPLICATE_METRIC = 'DuplicateDelivery';

/** Security Hub (best effort): findings annotated, findings imported, and each failed step. */
export const SECURITY_HUB_METRICS = {
  annotated: 'SecurityHubFindingsAnnotated',
  imported: 'SecurityHubFindingsImported',
  failed: 'SecurityHubFailed',
} as const;

/**
 * A storm follow-up (the message of a closed window) could not be sent in this invocation: it
 * stays in the ledger and the next sweep (or the actor's next window) sends it.
 */
export const STORM_FOLLOW_UP_FAILED_METRIC = 'StormFollowUpFailed';
