import * as z from 'zod/mini';
import { ENVIRONMENTS, ROLES } from '../../keys/format';
import { MAX_SESSION_TTL_SECONDS, MIN_SESSION_TTL_SECONDS } from '../../sessions/model';
import { nameSchema } from '../http';

/** A member's id as the team's backend has it: 1 to 200 printable ASCII characters, no leading space. */
export const userIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(200),
    z.regex(/^[\x21-\x7e][\x20-\x7e]*$/, 'must be 1 to 200 printable ASCII characters, not starting with a space'),
  );

/** The body of a session's creation: the member, their role, and for how long (seconds). */
export const createSessionSchema = z.strictObject({
  role: z.enum(ROLES),
  environment: z.optional(z.enum(ENVIRONMENTS)),
  ttlSeconds: z.optional(
    z
      .number()
      .check(z.int('must be a whole number'), z.minimum(MIN_SESSION_TTL_SECONDS), z.maximum(MAX_SESSION_TTL_SECONDS)),
  ),
  user: z.strictObject({ id: userIdSchema, name: z.optional(nameSchema) }),
});

/** The body of a sign-in link's minting: the member the session will name. */
export const createSignInLinkSchema = z.strictObject({
  user: z.strictObject({ id: userIdSchema, name: z.optional(nameSchema) }),
});

/** The body of the console's sign-in by a one-time code: `kgl_` and 43 base64url characters. */
export const signInWithCodeSchema = z.strictObject({
  code: z.string().check(z.maxLength(100)),
});
