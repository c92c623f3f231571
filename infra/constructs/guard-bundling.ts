import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const handlerModule = (name: string) => join(ROOT, 'functions', 'handler', name);

/** What the synthesized stack uses, which decides which SDK clients the bundle needs. */
export interface GuardBundlingFeatures {
  /** SECURITY_HUB_ANNOTATE or SECURITY_HUB_IMPORT_FINDINGS on. */
  readonly securityHub: boolean;
  /** EVENT_BUS_NAME set (the optional EventBridge copy of each message). */
  readonly eventBus: boolean;
}

/**
 * How the guard Lambda is bundled (the stack's NodejsFunction, and `npm run bench:bundle`, which
 * measures each choice): minified ESM for node24 with the pinned AWS SDK inside, and only the
 * parts of the SDK this function can use (docs/benchmarks.md, "Bundle and import time, technique
 * by technique").
 */
export function guardBundling(features: GuardBundlingFeatures): BundlingOptions {
  return {
    minify: true,
    sourceMap: true,
    // Stack traces need the mappings, not the sources: without them the map is a third of the
    // size (2.1 MB to 0.7 MB), which Node parses at cold start under --enable-source-maps.
    sourcesContent: false,
    target: 'node24',
    format: OutputFormat.ESM,
    // The SDK's ES modules (dist-es), which esbuild tree-shakes, instead of its CommonJS builds.
    mainFields: ['module', 'main'],
    externalModules: [], // bundle the AWS SDK clients: pinned versions, faster cold start
    banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    forceDockerBundling: false,
    esbuildArgs: {
      // The bundled "legal comments" are coverage-tool hints (`v8 ignore ... @preserve`), not
      // licences; the packages' licences are not in comments.
      '--legal-comments': 'none',
      // In Lambda the credentials are in the environment: alias the SDK's default provider chain
      // (SSO, INI, web identity and their nested clients, ~80 KB) to the environment provider.
      '--alias': `@aws-sdk/credential-provider-node=${handlerModule('lambda-credentials.ts')}`,
      // Security Hub off (the default): its client (over 170 KiB, the ASFF schema) stays out.
      ...(features.securityHub
        ? {}
        : { '--alias:@aws-sdk/client-securityhub': handlerModule('security-hub-off.ts') }),
      // No event bus (the default): the EventBridge client stays out.
      ...(features.eventBus
        ? {}
        : { '--alias:@aws-sdk/client-eventbridge': handlerModule('event-bus-off.ts') }),
    },
  };
}
