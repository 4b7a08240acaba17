import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import type { AuthorizerCacheFlusher } from '../core/cache';

/** The process's one API Gateway client. */
export const apiGatewayClient = new APIGatewayClient({});

/** Flushes a stage's authorizer cache (`FlushStageAuthorizersCache`). */
export class StageCacheFlusher implements AuthorizerCacheFlusher {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly restApiId: string,
    private readonly stageName: string,
  ) {}

  async flush(): Promise<void> {
    await this.client.send(new FlushStageAuthorizersCacheCommand({ restApiId: this.restApiId, stageName: this.stageName }));
  }
}
