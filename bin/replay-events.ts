import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { BusPublisher } from '../lambdas/core/events/publish';
import { parseReplayWindow, replayEvents } from '../lambdas/core/events/replay';
import { jsonLogger } from '../lambdas/core/support/logger';
import { documentClient } from '../lambdas/runtime/dynamodb-client';
import { EventBridgeBus } from '../lambdas/runtime/event-bus';

/** The admin CLI's usage lines for this command. */
export const REPLAY_EVENTS_USAGE = `  replay-events --from <iso> --to <iso>
                              publishes the stack's events of [from, to) to EventBridge again,
                              oldest first, each with its own id (consumers drop ids they have
                              seen): the way back after the publisher's dead-letter queue
                              received stream records. safe to repeat.`;

/**
 * `keygate-admin replay-events`: reads the stack's outputs (its table and event bus) and
 * publishes the window's events again. Exits 1, saying where to resume, when EventBridge keeps
 * refusing an event.
 */
export async function replayEventsCommand(
  args: readonly string[],
  options: { readonly stack: string; readonly region: string | undefined },
): Promise<void> {
  const flag = (name: string): string | undefined => {
    const index = args.indexOf(`--${name}`);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const window = parseReplayWindow(flag('from'), flag('to'));
  const described = await new CloudFormationClient({ region: options.region }).send(
    new DescribeStacksCommand({ StackName: options.stack }),
  );
  const outputs = new Map((described.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const tableName = outputs.get('TableName');
  if (tableName === undefined)
    throw new Error(`stack ${options.stack} has no TableName output: is it a keygate stack?`);
  const bus = outputs.get('EventBusName') ?? 'default';
  const logger = jsonLogger({ source: 'keygate-admin' }, (line) => process.stderr.write(`${line}\n`));
  const result = await replayEvents(
    {
      client: documentClient(new DynamoDBClient({ region: options.region })),
      tableName,
      publisher: new BusPublisher(
        new EventBridgeBus(new EventBridgeClient({ region: options.region })),
        logger,
        bus === 'default' ? undefined : bus,
      ),
    },
    window,
  );
  process.stdout.write(`read ${result.read} events; published ${result.published} to ${bus}\n`);
  if (result.resumeFrom !== undefined) {
    process.stderr.write(
      `EventBridge kept refusing an event; resume with --from ${result.resumeFrom} --to ${window.to.toISOString()}\n`,
    );
    process.exit(1);
  }
}
