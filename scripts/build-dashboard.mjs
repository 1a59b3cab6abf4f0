// Builds the dashboard's browser files into one folder the service serves under /assets/:
// the TypeScript in src/dashboard compiled to ES modules (no bundler: the browser loads them as
// they are), the stylesheet and icon, and uPlot's ES module and CSS from node_modules.
//
//   node scripts/build-dashboard.mjs [outDir]     (default: dist/dashboard)
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = resolve(process.argv[2] ?? join(root, 'dist', 'dashboard'));
const require = createRequire(import.meta.url);
const src = join(root, 'src', 'dashboard');

execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', join(src, 'tsconfig.json'), '--outDir', out],
  { stdio: 'inherit' },
);
mkdirSync(join(out, 'vendor'), { recursive: true });
for (const file of readdirSync(src)) {
  if (/\.(css|svg)$/.test(file)) copyFileSync(join(src, file), join(out, file));
}
const uplot = dirname(require.resolve('uplot/dist/uPlot.esm.js'));
copyFileSync(join(uplot, 'uPlot.esm.js'), join(out, 'vendor', 'uplot.js'));
copyFileSync(join(uplot, 'uPlot.min.css'), join(out, 'vendor', 'uplot.css'));
copyFileSync(join(uplot, '..', 'LICENSE'), join(out, 'vendor', 'uplot.LICENSE'));
