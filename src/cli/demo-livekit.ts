import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { LiveKitTarget } from '../service/index.js';

/**
 * Where a running demo records its emulator's URL, relative to the working directory (beside the
 * demo's default database), so `verify-livekit` run from the same place finds the demo's LiveKit.
 */
export const DEMO_LIVEKIT_FILE = './data/demo-livekit.json';

interface DemoRecord {
  url: string;
  pid: number;
}

/** Writes the record for this process; returns a function that removes it again. */
export function recordDemoLiveKit(url: string): () => void {
  const file = resolve(DEMO_LIVEKIT_FILE);
  mkdirSync(dirname(file), { recursive: true });
  const record: DemoRecord = { url, pid: process.pid };
  writeFileSync(file, `${JSON.stringify(record)}\n`);
  return () => {
    // Only our own record: a newer demo may have replaced it meanwhile.
    if (readDemoRecord()?.pid === process.pid) rmSync(file, { force: true });
  };
}

function readDemoRecord(): DemoRecord | null {
  try {
    const parsed = JSON.parse(readFileSync(resolve(DEMO_LIVEKIT_FILE), 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { url, pid } = parsed as Partial<DemoRecord>;
    return typeof url === 'string' && typeof pid === 'number' ? { url, pid } : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The LiveKit of the demo running from this directory, or null when none is running. */
export function findDemoLiveKit(dev: {
  apiKey: string;
  apiSecret: string;
  timeoutMs: number;
}): LiveKitTarget | null {
  const record = readDemoRecord();
  if (record === null || !isAlive(record.pid)) return null;
  return { url: record.url, ...dev };
}
