// A cold start in a fresh `node`: load a bundle as Lambda's runtime does, invoke its handler
// once with a TOKEN event, and report the process's CPU time (user + system) when it answers.
'use strict';
const { handler } = require(process.argv[2]);
const loaded = process.cpuUsage();
const event = { type: 'TOKEN', authorizationToken: process.env.BENCH_TOKEN, methodArn: process.env.BENCH_METHOD_ARN };
Promise.resolve(handler(event)).then(
  (result) => {
    const cpu = process.cpuUsage();
    const allowed = Boolean(
      result && result.policyDocument && result.policyDocument.Statement.some((s) => s.Effect === 'Allow'),
    );
    process.stdout.write(
      JSON.stringify({
        cpuMs: (cpu.user + cpu.system) / 1000,
        loadCpuMs: (loaded.user + loaded.system) / 1000,
        wallMs: performance.now(),
        allowed,
      }),
    );
    // lambda freezes the sandbox after the answer; the started lastUsedAt write is not waited for.
    process.exit(0);
  },
  (error) => {
    process.stderr.write(String(error && error.message));
    process.exit(1);
  },
);
