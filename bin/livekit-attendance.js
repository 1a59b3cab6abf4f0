#!/usr/bin/env node
// The installed command: runs the compiled CLI in dist/. A checkout builds it on `npm install`
// (the `prepare` script); if it is missing anyway, say what to do in one line, not a stack trace.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write(
    `livekit-attendance: not built yet (no dist/main.js): run \`npm run build\` in ${root}, then try again.\n`,
  );
  process.exitCode = 1;
} else {
  const { main } = await import(entry.href);
  process.exitCode = await main(process.argv);
}
