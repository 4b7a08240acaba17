import { GetUsagePlansCommand, UpdateUsagePlanCommand } from '@aws-sdk/client-api-gateway';
import { withBackoff, type BackoffOptions } from '../lambdas/core/support/retry';
import { isTooManyRequests, type ApiGatewaySender } from '../lambdas/runtime/api-gateway';

export const BIND_GUARDED_STAGE_USAGE = `  bind-guarded-stage          binds the enterprise usage plans made before keygate:gatewayAnswers was
                              set to the guarded API's stage, so those tenants' keys work there
                              (run once after deploying the setting; safe to repeat). --dry-run
                              lists them and changes nothing; --remove unbinds them (run it
                              before a deploy that removes the setting).`;

/** What {@link bindGuardedStage} needs. */
export interface BindGuardedStageProps {
  /** The stack's name prefix (`NamePrefix` output): enterprise plans are `<prefix>-enterprise-<tenant>`. */
  readonly namePrefix: string;
  /** The guarded API (`GuardedRestApiId` output). */
  readonly restApiId: string;
  /** Its stage (`StageName` output). */
  readonly stageName: string;
  /** List what would be bound, bind nothing. */
  readonly dryRun?: boolean;
  /**
   * Unbind instead, before a deploy that deletes the guarded API: CloudFormation knows nothing of
   * the bindings made at run time, and a plan is unbound stage by stage before it is deleted.
   */
  readonly remove?: boolean;
  /**
   * How a throttled call is retried. `UpdateUsagePlan` is limited to about one call every 20 s
   * per account, so the default waits that long between tries.
   *
   * @default - 5 tries, from 22 s
   */
  readonly backoff?: BackoffOptions;
}

/**
 * Binds every enterprise usage plan of the stack (by name, and by its `keygate:stack` tag when
 * it has one) that is not yet bound to the guarded API's stage. The shared plans are bound by
 * CloudFormation, and plans made from then on by the functions; the ones made before the guarded
 * API existed are not, and a key whose plan is not bound to a stage is refused there.
 *
 * @returns the names of the plans bound (or unbound; in a dry run, to be), and how many were already.
 */
export async function bindGuardedStage(
  client: ApiGatewaySender,
  props: BindGuardedStageProps,
): Promise<{ bound: string[]; already: number }> {
  const backoff = props.backoff ?? { attempts: 5, baseMs: 22_000, random: () => 0.5 + Math.random() / 2 };
  const stage = `${props.restApiId}:${props.stageName}`;
  const prefix = `${props.namePrefix}-enterprise-`;
  const bound: string[] = [];
  let already = 0;
  let position: string | undefined;
  do {
    const page = await withBackoff(
      () => client.send(new GetUsagePlansCommand({ position, limit: 500 })),
      isTooManyRequests,
      backoff,
    );
    for (const plan of page.items ?? []) {
      if (plan.id === undefined || plan.name?.startsWith(prefix) !== true) continue;
      // a prefix can be another stack's name plus more: its tag tells.
      if (plan.tags?.['keygate:stack'] !== undefined && plan.tags['keygate:stack'] !== props.namePrefix) continue;
      const isBound = (plan.apiStages ?? []).some((each) => `${each.apiId}:${each.stage}` === stage);
      if (isBound !== (props.remove === true)) {
        already += 1;
        continue;
      }
      if (props.dryRun !== true) {
        const usagePlanId = plan.id;
        await withBackoff(
          () =>
            client.send(
              new UpdateUsagePlanCommand({
                usagePlanId,
                patchOperations: [{ op: props.remove === true ? 'remove' : 'add', path: '/apiStages', value: stage }],
              }),
            ),
          isTooManyRequests,
          backoff,
        );
      }
      bound.push(plan.name);
    }
    position = page.position;
  } while (position);
  return { bound, already };
}

/** `npm run admin -- bind-guarded-stage`, given the stack's outputs. */
export async function bindGuardedStageCommand(
  client: ApiGatewaySender,
  args: readonly string[],
  outputs: { NamePrefix: string; StageName: string; GuardedRestApiId?: string },
): Promise<void> {
  if (outputs.GuardedRestApiId === undefined) {
    throw new Error(
      'the stack has no guarded API (output GuardedRestApiId): deploy it with keygate:gatewayAnswers first',
    );
  }
  const dryRun = args.includes('--dry-run');
  const remove = args.includes('--remove');
  const { bound, already } = await bindGuardedStage(client, {
    namePrefix: outputs.NamePrefix,
    restApiId: outputs.GuardedRestApiId,
    stageName: outputs.StageName,
    dryRun,
    remove,
  });
  const verb = remove ? 'unbound' : 'bound';
  for (const name of bound) process.stdout.write(`${dryRun ? `would be ${verb}:` : `${verb}`} ${name}\n`);
  process.stdout.write(
    `${bound.length} enterprise usage plans ${dryRun ? `to be ${verb}` : verb} ${remove ? 'from' : 'to'} the guarded stage; ${already} already were\n`,
  );
}
