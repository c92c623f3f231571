import { ConfigError } from '../functions/core/errors.js';
import { buildApp } from './build-app.js';
import { RegionError } from './stack.js';

// The CDK app (cdk.json runs it with tsx). Bad context values end the synth with one clear message.
try {
  buildApp().app.synth();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(
      `support-role-guard: ${error.message.replace('invalid configuration', 'invalid context (-c key=value)')}`,
    );
    process.exit(1);
  }
  if (error instanceof RegionError) {
    console.error(`support-role-guard: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
