import { assertValidKeyFormat, type KeyFormat } from '../lambdas/core/keys/format';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoKeyStore } from '../lambdas/core/store/dynamodb-store';
import { systemClock } from '../lambdas/core/support/clock';
import { recoverOperator } from '../lambdas/core/tenants/operator-recovery';
import { documentClient } from '../lambdas/runtime/dynamodb-client';

/** The `recover-operator` lines of `keygate-admin`'s usage. */
export const RECOVER_OPERATOR_USAGE = `  recover-operator            mints a new operator key, never expiring, and prints it once, for
                              an operator tenant left with no usable operator key (revoked,
                              expired, deleted); writes key.created with actor admin-cli and
                              details.recovery. refuses while a usable operator key exists
                              unless --force is given (for a key that is lost or leaked).
                              --table <name> --key-prefix <prefix> name the table directly
                              instead of the stack's outputs.`;

/** The flags the command takes, with whether each takes a value. */
const FLAGS: Readonly<Record<string, boolean>> = {
  '--stack': true,
  '--region': true,
  '--table': true,
  '--key-prefix': true,
  '--force': false,
};

/** Where the command writes: the key once on `stdout`, everything else on `stderr`. */
export interface CommandOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * `keygate-admin recover-operator`: with the caller's own AWS credentials, straight on the key
 * table (never through the HTTP API, whose operator key is what was lost), mints an operator key
 * and prints it once on stdout. The table is the stack's `TableName` output and the prefix its
 * `KeyPrefix`, or `--table` and `--key-prefix` (with `AWS_ENDPOINT_URL_DYNAMODB` for a DynamoDB
 * other than AWS's, such as the local one).
 *
 * @throws Error for a flag it does not know, or a refused recovery (the message says why).
 */
export async function recoverOperatorCommand(
  args: readonly string[],
  out: CommandOutput = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
): Promise<void> {
  const flags = parseFlags(args);
  const region = flags.get('--region');
  const { tableName, prefix, keyFormat }: { tableName: string; prefix: string; keyFormat?: KeyFormat } =
    flags.has('--table') || flags.has('--key-prefix')
      ? { tableName: required(flags, '--table'), prefix: required(flags, '--key-prefix') }
      : await fromStack(flags.get('--stack') ?? 'Keygate', region);
  const client = new DynamoDBClient({ region });
  try {
    const store = new DynamoKeyStore({ client: documentClient(client), tableName });
    const { key, usable } = await recoverOperator(
      { store, clock: systemClock, prefix, keyFormat },
      flags.has('--force'),
    );
    out.stdout(`operator key: ${key.key}\n`);
    out.stderr(
      `minted operator key ${key.id} (key.created, actor admin-cli, details.recovery recover-operator); ` +
        `it is shown once and stored nowhere.\n`,
    );
    if (usable.length > 0)
      out.stderr(`the operator keys ${usable.join(', ')} still work: revoke the one that is lost or leaked.\n`);
  } finally {
    client.destroy();
  }
}

function parseFlags(args: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i += 1) {
    const name = args[i];
    const takesValue = FLAGS[name];
    if (takesValue === undefined)
      throw new Error(`recover-operator takes ${Object.keys(FLAGS).join(', ')}; received ${name}`);
    if (!takesValue) {
      flags.set(name, '');
      continue;
    }
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
    flags.set(name, value);
    i += 1;
  }
  return flags;
}

function required(flags: Map<string, string>, name: string): string {
  const value = flags.get(name);
  if (value === undefined) throw new Error('--table and --key-prefix go together: give both, or neither');
  return value;
}

/** The stack's `KeyFormat` output, checked; `undefined` (the default format) when the stack has none. */
export function keyFormatOutput(value: string | undefined): KeyFormat | undefined {
  if (value === undefined) return undefined;
  const format: unknown = JSON.parse(value);
  assertValidKeyFormat(format);
  return format;
}

/** The table and key prefix from a deployed stack's outputs (see lib/keygate-stack.ts). */
async function fromStack(
  stackName: string,
  region: string | undefined,
): Promise<{ tableName: string; prefix: string; keyFormat?: KeyFormat }> {
  const cloudformation = new CloudFormationClient({ region });
  try {
    const described = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = new Map(
      (described.Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue] as const),
    );
    const tableName = outputs.get('TableName');
    const prefix = outputs.get('KeyPrefix');
    if (tableName === undefined || prefix === undefined)
      throw new Error(`stack ${stackName} lacks the outputs TableName, KeyPrefix: is it a keygate stack, deployed?`);
    const keyFormat = keyFormatOutput(outputs.get('KeyFormat'));
    return { tableName, prefix, ...(keyFormat === undefined ? {} : { keyFormat }) };
  } finally {
    cloudformation.destroy();
  }
}
