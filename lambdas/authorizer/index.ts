import { authorizerFromEnvironment } from './from-environment';

/** The Lambda entry: settings and clients are built once per container. */
export const handler = authorizerFromEnvironment();
