// One loss rate of the accuracy run in a process of its own (run.js runs two at once on 2 cores).
// Usage: node bench/truth/worker.js '<json options>' → prints the result as JSON on stdout.
import { runAccuracy } from './accuracy.js';
import { variantsFor } from './variants.js';

const o = JSON.parse(process.argv[2]);
const dist = (path) => import(new URL(`../../dist/${path}`, import.meta.url).href);
const { results } = await runAccuracy({
  ...o,
  dist,
  lossRates: [o.lossRate],
  variants: variantsFor,
});
const { sim, ...result } = results[0];
void sim;
process.stdout.write(JSON.stringify(result));
