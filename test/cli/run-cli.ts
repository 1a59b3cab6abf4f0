import { vi } from 'vitest';
import { main } from '../../src/main.js';

/** Runs the CLI in-process with the given environment; captures stdout/stderr lines and the exit code. */
export async function runCliCaptured(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi
    .spyOn(console, 'error')
    .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const writeOut = vi
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk).replace(/\n$/, ''));
      return true;
    });
  const writeErr = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => {
      err.push(String(chunk));
      return true;
    });
  for (const [k, v] of Object.entries({ LOG_LEVEL: 'silent', ...env })) vi.stubEnv(k, v);
  try {
    const code = await main(['node', 'livekit-attendance', ...args]);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    writeOut.mockRestore();
    writeErr.mockRestore();
    vi.unstubAllEnvs();
  }
}
