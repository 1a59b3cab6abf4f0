// Runs one autocannon load in its own process, so the load generator's heap is small and fresh:
// a parent holding ~180k pre-signed webhooks spends enough time in GC to become the bottleneck.
// Usage: node bench/load-worker.js < options.json → prints the autocannon result as JSON.
// Options are autocannon's, plus `paths` (with `headers`): GET requests cycling through the paths,
// built one at a time. (A long autocannon `requests` list is prebuilt per connection, and with
// 500 entries autocannon itself became the bottleneck and added ~8 ms to p99.)
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const { paths, ...opts } = JSON.parse(readFileSync(0, 'utf8'));
if (paths) {
  let next = 0;
  opts.requests = [
    {
      method: 'GET',
      setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }),
    },
  ];
}
autocannon(opts, (err, result) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(result));
});
