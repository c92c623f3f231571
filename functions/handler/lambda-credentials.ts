import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * In Lambda the execution role's credentials are always in the environment, so the Lambda bundle
 * replaces the SDK's default credential chain (SSO, INI files, web identity, ... and the nested
 * STS/SSO clients they pull in: ~80 KB minified) with the environment provider alone. The stack's
 * esbuild settings alias `@aws-sdk/credential-provider-node` to this module; the CLI and the tests
 * keep the full chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
