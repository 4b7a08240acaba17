/** The `sign-in-link` lines of `keygate-admin`'s usage. */
export const SIGN_IN_LINK_USAGE = `  sign-in-link [--url <api url>] [--console <console url>] [--user <name>]
                              prints a one-time link that signs the console in as an operator,
                              asked of the API (default http://localhost:$PORT, PORT default
                              3000) with the operator key in KEYGATE_OPERATOR_KEY. the link holds
                              a code in its #fragment (never sent to a server): good for one
                              sign-in within five minutes, for a session of an hour named --user
                              (default $USER). treat it as a password until used.`;

/** Where the command writes: the link on `stdout`, how long it lasts on `stderr`. */
export interface SignInLinkOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * `keygate-admin sign-in-link`: mints a one-time sign-in code with the operator key
 * (`POST /v1/panel/sign-in-links`) and prints the console's link with the code in its fragment,
 * which browsers never send to a server, so it reaches no access log; the console removes it from
 * the address bar before it exchanges it.
 */
export async function signInLinkCommand(
  args: readonly string[],
  out: SignInLinkOutput = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const value = (name: string): string | undefined => {
    const index = args.indexOf(`--${name}`);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const operatorKey = env.KEYGATE_OPERATOR_KEY ?? '';
  // never a flag: flags show in process listings.
  if (operatorKey === '') throw new Error('sign-in-link needs the operator key in KEYGATE_OPERATOR_KEY');
  const api = (value('url') ?? `http://localhost:${env.PORT ?? 3000}`).replace(/\/+$/, '');
  const consoleUrl = (value('console') ?? `${api}/console`).replace(/#.*$/, '');
  const user = value('user') ?? env.USER ?? env.LOGNAME ?? 'operator';
  const response = await fetch(`${api}/v1/panel/sign-in-links`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user: { id: user } }),
  });
  const body = (await response.json().catch(() => ({}))) as {
    code?: string;
    expiresAt?: string;
    error?: { code?: string; message?: string };
  };
  if (response.status !== 201 || body.code === undefined)
    throw new Error(`the API answered ${response.status}: ${body.error?.message ?? 'no sign-in code'}`);
  out.stdout(`${consoleUrl}#signin=${body.code}\n`);
  out.stderr(`one sign-in as ${user}, until ${body.expiresAt}; anyone with the link can use it until then.\n`);
}
