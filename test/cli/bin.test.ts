import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

/** A copy of the installed command's files, as a fresh clone has them (no dist/). */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'attendance-bin-'));
  cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

describe('bin/livekit-attendance.js', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('builds on npm install (prepare), so a fresh clone has a working command', () => {
    expect(pkg.scripts.prepare).toBe('npm run build');
  });

  it('says in one line to run npm run build when dist/ is missing, and exits 1', async () => {
    const dir = freshCopy();
    dirs.push(dir);
    const r = await run(process.execPath, [
      join(dir, 'bin', 'livekit-attendance.js'),
      '--help',
    ]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe(
      `livekit-attendance: not built yet (no dist/main.js): run \`npm run build\` in ${dir}/, then try again.\n`,
    );
  });

  it('prints help after the build that npm install runs', async () => {
    const dir = freshCopy();
    dirs.push(dir);
    await run(process.execPath, [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      join(dir, 'dist'),
    ]);
    const r = await run(process.execPath, [join(dir, 'bin', 'livekit-attendance.js'), '--help']);
    expect(r.stdout).toContain('Usage: livekit-attendance [options] [command]');
    expect(r.stdout).toContain('verify-livekit');
  }, 60_000);
});
