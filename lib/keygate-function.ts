import * as path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { KeyTable } from './key-table';
import { ENV } from '../lambdas/runtime/env-names';

/** Where the Lambda entries live; a relative `entry` is resolved against it. */
export const LAMBDAS_DIR = path.join(__dirname, '..', 'lambdas');

/** How much of the key table a function may touch. */
export type TableAccess = 'read' | 'readWrite';

/** Properties of a {@link KeygateFunction}: those of `NodejsFunction`, minus what the house decides. */
export interface KeygateFunctionProps extends Omit<
  NodejsFunctionProps,
  'entry' | 'runtime' | 'architecture' | 'logGroup' | 'logRetention' | 'loggingFormat'
> {
  /**
   * The handler module: a path relative to keygate's `lambdas/` folder (`authorizer/index.ts`)
   * or an absolute path.
   */
  readonly entry: string;
  /**
   * How long the function's log group keeps its logs.
   *
   * @default - one month
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Whether stack traces are mapped back to the TypeScript sources: a `.map` file in the bundle
   * and `--enable-source-maps`. It costs load time (about 10 % measured) and doubles the zip, so
   * a function on a request's path may turn it off.
   *
   * @default true
   */
  readonly sourceMaps?: boolean;
  /**
   * What happens to the log group when the function is removed from the stack.
   *
   * @default - the log group is deleted with the function
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * The bundle's module format. ES modules let esbuild build from packages' ESM builds and
   * tree-shake them (a management bundle shrinks by a third: account 715 -> 479 kB); every
   * keygate function built so is loaded and run from its synthesized asset in test/bundles.test.ts.
   * A route's own code keeps CommonJS, which bundles whatever it uses as it is.
   *
   * @default - `esm` for keygate's own entries (under `lambdas/`), `cjs` for any other
   */
  readonly moduleFormat?: 'esm' | 'cjs';
}

/**
 * Gives an ES-module bundle a CommonJS `require` for the CommonJS packages bundled into it (their
 * `require('node:…')` calls would otherwise throw "Dynamic require … is not supported"), under a
 * name no bundled module can declare.
 */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __keygateCreateRequire}from'node:module';const require=__keygateCreateRequire(import.meta.url);";

/**
 * The house Lambda: Node 22 on ARM64, bundled locally by esbuild (minified, an ES module for
 * keygate's own code and CommonJS for a route's, with source maps and the AWS SDK inside, so it
 * runs the SDK version that was tested), an explicit log group with a retention, JSON log
 * format, and a role that may write only to that log group. Defaults come first and the caller's props after them; `bundling` and `environment`
 * are merged, not replaced.
 */
export class KeygateFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: KeygateFunctionProps) {
    const entry = path.resolve(LAMBDAS_DIR, props.entry);
    const { logRetention, logRemovalPolicy, bundling, environment, sourceMaps = true, moduleFormat, ...rest } = props;
    const esm = (moduleFormat ?? (entry.startsWith(LAMBDAS_DIR + path.sep) ? 'esm' : 'cjs')) === 'esm';
    // the log group and the role are built before super(), so they hang off the scope.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const role =
      props.role ?? new iam.Role(scope, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // this log group only: the managed AWSLambdaBasicExecutionRole could write to any log group.
    logGroup.grantWrite(role);
    super(scope, id, {
      memorySize: 256,
      timeout: Duration.seconds(10),
      ...rest,
      entry,
      role,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...environment,
      },
      bundling: {
        minify: true,
        sourceMap: sourceMaps,
        // stack traces need the mappings only; leaving the sources out halves the map file.
        sourcesContent: false,
        target: 'node22',
        ...(esm
          ? { format: OutputFormat.ESM, mainFields: ['module', 'main'], banner: ESM_REQUIRE_BANNER }
          : { format: OutputFormat.CJS }),
        bundleAwsSDK: true,
        forceDockerBundling: false,
        ...bundling,
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'node 22 is the runtime keygate is tested on; moving to a newer one is a deliberate, tested change',
    });
  }

  /**
   * Grants this function access to the key table and sets `TABLE_NAME`, in one call so the
   * two cannot drift apart.
   */
  useTable(table: KeyTable, access: TableAccess): iam.Grant {
    this.addEnvironment(ENV.tableName, table.table.tableName);
    return access === 'read' ? table.grantRead(this) : table.grantReadWrite(this);
  }
}
