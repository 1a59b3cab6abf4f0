// Runs one autocannon load in its own process, so the load generator's heap is small and fresh:
// a parent holding ~180k pre-signed webhooks spends enough time in GC to become the bottleneck.
// Usage: node bench/load-worker.js '<json options>' → prints the autocannon result as JSON.
import autocannon from 'autocannon';

const opts = JSON.parse(process.argv[2]);
autocannon(opts, (err, result) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify(result));
});
