/**
 * Imported first by `npm start`: the AWS SDK warns about Node 20 while its modules load, before
 * `main()` runs, and a newcomer's first screen should show keygate, not a support notice.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
