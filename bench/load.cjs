// The load generator in its own process, so it does not share the gateway's event loop:
// autocannon as a library, loopback, keep-alive. Prints autocannon's result as JSON.
'use strict';
const autocannon = require('autocannon');
const [url, authorization, seconds, connections] = process.argv.slice(2);
autocannon(
  {
    url,
    duration: Number(seconds),
    connections: Number(connections),
    headers: authorization === '-' ? {} : { authorization },
  },
  (error, result) => {
    if (error) {
      process.stderr.write(String(error));
      process.exit(1);
    }
    process.stdout.write(JSON.stringify(result));
  },
);
