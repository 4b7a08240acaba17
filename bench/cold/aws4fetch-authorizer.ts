/** The authorizer's entry with the aws4fetch transport it had before issue 13's cold-start work: a reference. */
import { authorizerFromEnvironment } from '../../lambdas/authorizer/from-environment';
import { aws4fetchTransport } from './aws4fetch-key-reader';

export const handler = authorizerFromEnvironment(aws4fetchTransport);
