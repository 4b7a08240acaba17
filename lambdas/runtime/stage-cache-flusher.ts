import { FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import type { ApiGatewaySender } from './api-gateway';

/**
 * Flushes a stage's authorizer cache now (`FlushStageAuthorizersCache`); the flush that also
 * covers calls in flight is `SettlingCacheFlusher`, built on this.
 */
export class StageCacheFlusher {
  constructor(
    private readonly client: ApiGatewaySender,
    private readonly restApiId: string,
    private readonly stageName: string,
  ) {}

  /** Flushes the stage's authorizer cache once; a failure is thrown, for the caller to retry. */
  async flush(): Promise<void> {
    await this.client.send(
      new FlushStageAuthorizersCacheCommand({ restApiId: this.restApiId, stageName: this.stageName }),
    );
  }
}

/** A stage whose authorizer cache keygate flushes. */
export interface FlushStage {
  readonly restApiId: string;
  readonly stageName: string;
}

/**
 * Flushes the authorizer cache of every stage the key authorizer protects (keygate's own and any
 * other API it is attached to). Every stage is tried even when one fails; then the failure is
 * thrown, so the flush is retried rather than taken as done.
 */
export class StagesCacheFlusher {
  private readonly stages: StageCacheFlusher[];

  constructor(client: ApiGatewaySender, stages: readonly FlushStage[]) {
    if (stages.length === 0) throw new Error('StagesCacheFlusher needs at least one stage');
    this.stages = stages.map((stage) => new StageCacheFlusher(client, stage.restApiId, stage.stageName));
  }

  /** Flushes every stage. @throws AggregateError naming how many of the stages failed. */
  async flush(): Promise<void> {
    const results = await Promise.allSettled(this.stages.map((stage) => stage.flush()));
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed.length > 0)
      throw new AggregateError(
        failed.map((result) => result.reason),
        `${failed.length} of ${results.length} stage flushes failed`,
      );
  }
}

/**
 * Reads `FLUSH_STAGES`, the JSON list of `{restApiId, stageName}` the stack sets, when a module loads.
 *
 * @throws Error when it is missing, empty or malformed: a flusher that flushes nothing must not start.
 */
export function flushStagesFromEnv(value: unknown): FlushStage[] {
  const valid = (stage: unknown): stage is FlushStage =>
    typeof stage === 'object' &&
    stage !== null &&
    typeof (stage as FlushStage).restApiId === 'string' &&
    typeof (stage as FlushStage).stageName === 'string';
  if (!Array.isArray(value) || value.length === 0 || !value.every(valid)) {
    throw new Error('FLUSH_STAGES must be a non-empty JSON list of {restApiId, stageName}');
  }
  return value.map(({ restApiId, stageName }) => ({ restApiId, stageName }));
}
