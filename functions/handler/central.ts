import { organizationPorts } from '../adapters/member-access.js';
import { createHandler } from './create-handler.js';

/** The central guard's Lambda entry point (organization mode): members are reached through their remediation role. */
export const handler = createHandler({ organizationPorts });
