import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';

// the built-in CloudFormation validation adds seconds per synth and checks nothing a test asserts;
// CI's `cdk synth` keeps it on.
process.env.CDK_VALIDATION = 'false';

/** The feature flags and settings of cdk.json: `new App()` does not read cdk.json by itself. */
export function cdkJsonContext(): Record<string, unknown> {
  return (
    JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
  ).context;
}

/**
 * An app as `cdk synth` builds it from cdk.json, plus `context`. Its functions are not bundled
 * (`aws:cdk:bundling-stacks` lists no stack, so each asset is a placeholder): esbuild runs ~0.2 s
 * a function on every stack build, and only the bundle test looks inside an asset.
 *
 * @param options.bundle - bundle every function, as `cdk synth` does.
 */
export function testApp(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): App {
  return new App({
    context: { ...cdkJsonContext(), ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }), ...context },
  });
}
