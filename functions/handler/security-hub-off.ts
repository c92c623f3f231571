/**
 * Bundled in place of @aws-sdk/client-securityhub when the stack is synthesized with both Security
 * Hub context keys off (the default): that client is over 170 KiB of the bundle (the ASFF schema),
 * which every cold start would parse for nothing. The guard builds a Security Hub client only when
 * SECURITY_HUB_ANNOTATE or SECURITY_HUB_IMPORT_FINDINGS is on; setting either on a function
 * bundled without it fails at cold start with this reason instead of silently doing nothing.
 */
const OFF =
  'Security Hub was switched off when this function was bundled; redeploy with -c securityHubAnnotate=true or -c securityHubImportFindings=true';

export class SecurityHubClient {
  constructor() {
    throw new Error(OFF);
  }
}

class Unavailable {
  constructor() {
    throw new Error(OFF);
  }
}

export class GetFindingsCommand extends Unavailable {}
export class BatchUpdateFindingsCommand extends Unavailable {}
export class BatchImportFindingsCommand extends Unavailable {}
