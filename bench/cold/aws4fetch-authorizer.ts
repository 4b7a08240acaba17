/** The authorizer's entry with the aws4fetch transport: a reference the benchmark compares against. */
import { authorizerFromEnvironment } from '../../lambdas/authorizer/from-environment';
import { aws4fetchTransport } from './aws4fetch-key-reader';

export const handler = authorizerFromEnvironment(aws4fetchTransport);
