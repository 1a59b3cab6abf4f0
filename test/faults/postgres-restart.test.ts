import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { count } from '../helpers/outbox-delivery.js';
import { rawQuery } from '../helpers/raw-sql.js';
import {
  deal,
  postSigned,
  sleep,
  startService,
  stormEvents,
  waitUntil,
  type ServiceProcess,
} from '../helpers/service-process.js';

/**
 * Proof under faults: the database goes away under load and comes back. The test runs its own
 * PostgreSQL cluster (initdb/pg_ctl, as the postgres user when run as root) on a spare port in a
 * temporary folder, never the shared one. While it is down /readyz answers 503 and every webhook
 * gets a 5xx (so LiveKit retries it), never a 2xx; once it is back the service recovers by itself
 * and every webhook it acknowledged is stored and applied.
 */
const run = promisify(execFile);
const REQUIRE_POSTGRES = process.env.REQUIRE_POSTGRES === '1';
const PG_BIN = findPgBin();
if (PG_BIN === null && !REQUIRE_POSTGRES) {
  console.warn(
    '[test] no initdb (PG_BIN, /usr/lib/postgresql/*/bin): skipping the PostgreSQL restart test. ' +
      'Install the PostgreSQL server package, or REQUIRE_POSTGRES=1 to fail instead.',
  );
}
const PEOPLE = 200; // 400 webhooks
const ROOMS = 4;
const SENDERS = 4;
const STOP_AFTER_ACKS = 100;
/** Webhooks refused while the database is down before it is started again. */
const REFUSED_WHILE_DOWN = 30;
const LONG = { timeout: 180_000 };

function findPgBin(): string | null {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? join(root, versions[0]!, 'bin') : null;
}

/** A PostgreSQL cluster of this test's own. */
class PrivateCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PrivateCluster> {
    if (PG_BIN === null) throw new Error('REQUIRE_POSTGRES=1 but there is no initdb (set PG_BIN)');
    const dir = await mkdtemp(join(tmpdir(), 'attendance-pg-'));
    const cluster = new PrivateCluster(dir, await sparePort());
    if (process.getuid?.() === 0) await chown(dir, ...(await postgresIds()));
    await cluster.pg('initdb', [
      '-D',
      cluster.data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    await cluster.start();
    return cluster;
  }

  get data(): string {
    return join(this.dir, 'data');
  }
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): Promise<unknown> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${this.dir}`;
    return this.pg('pg_ctl', [
      '-D',
      this.data,
      '-l',
      join(this.dir, 'log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }
  /** Immediate: the server processes exit at once, as in a crash (recovery replays the WAL). */
  stop(): Promise<unknown> {
    return this.pg('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', '-t', '60', 'stop']);
  }
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }

  private pg(tool: string, args: string[]): Promise<unknown> {
    const bin = join(PG_BIN!, tool);
    return process.getuid?.() === 0
      ? run('runuser', ['-u', 'postgres', '--', bin, ...args], { cwd: this.dir })
      : run(bin, args, { cwd: this.dir });
  }
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return [Number(uid.trim()), Number(gid.trim())];
}

function sparePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe.skipIf(PG_BIN === null && !REQUIRE_POSTGRES)('PostgreSQL restart under load', () => {
  let cluster: PrivateCluster | undefined;
  let service: ServiceProcess | undefined;
  afterEach(async () => {
    await service?.kill();
    await cluster?.destroy();
    service = cluster = undefined;
  }, LONG.timeout);

  it(
    'answers 503 and 5xx while the database is down, recovers by itself and loses nothing acknowledged',
    LONG,
    async () => {
      cluster = await PrivateCluster.create();
      const svc = (service = await startService({ DATABASE_URL: cluster.url }));
      const readyzSeen: string[] = [];
      const readyz = async () => {
        const t = Date.now();
        try {
          const res = await fetch(`${svc.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
          readyzSeen.push(`${res.status} ${Date.now() - t}ms ${await res.text()}`);
          return res.status;
        } catch (e) {
          readyzSeen.push(`0 ${Date.now() - t}ms ${String(e)}`);
          return 0;
        }
      };
      expect(await readyz()).toBe(200);

      const people = stormEvents({
        prefix: 'pg',
        rooms: ROOMS,
        people: PEOPLE,
        startS: Math.floor(Date.now() / 1000) - 900,
      });
      const all = people.flat();
      const acked = new Set<string>();
      // 'up' -> 'stopping' -> 'down' -> 'starting' -> 'up'. Only answers to requests sent and
      // answered entirely while 'down' are held to "5xx, never 2xx".
      let phase: 'up' | 'stopping' | 'down' | 'starting' = 'up';
      const whileDown: number[] = [];
      const refusedOtherwise = new Map<number, number>();
      const sendDeadline = Date.now() + 150_000;
      const sender = async (mine: (typeof people)[number][]) => {
        for (const sequence of mine)
          for (const e of sequence)
            for (;;) {
              const before = phase;
              const status = await postSigned(svc.url, e.body);
              const down = before === 'down' && phase === 'down';
              if (down) whileDown.push(status);
              if (status >= 200 && status < 300) {
                acked.add(e.id);
                break;
              }
              if (!down) refusedOtherwise.set(status, (refusedOtherwise.get(status) ?? 0) + 1);
              if (Date.now() > sendDeadline) throw new Error(`${e.id} never acknowledged`);
              await sleep(down ? 20 : 100);
            }
      };
      const operator = async () => {
        await waitUntil('acknowledgements before the stop', () =>
          acked.size >= STOP_AFTER_ACKS ? true : undefined,
        );
        phase = 'stopping';
        await cluster!.stop();
        phase = 'down';
        const ackedAtStop = acked.size;
        await waitUntil(
          '/readyz to answer 503',
          async () => ((await readyz()) === 503 ? true : undefined),
          {
            describe: () =>
              `${readyzSeen.slice(-5).join('\n')}\n${whileDown.length} down: ${JSON.stringify(countBy(whileDown))}\nexit ${svc.child.exitCode} ${svc.child.signalCode}\n${svc.output().slice(-6000)}`,
          },
        );
        const health = await fetch(`${svc.url}/healthz`);
        expect(health.status).toBe(200); // liveness: alive, only not ready
        await waitUntil(`${REFUSED_WHILE_DOWN} webhooks refused while down`, () =>
          whileDown.length >= REFUSED_WHILE_DOWN ? true : undefined,
        );
        expect(svc.child.exitCode).toBeNull();
        phase = 'starting';
        await cluster!.start();
        phase = 'up';
        await waitUntil('/readyz to answer 200 again', async () =>
          (await readyz()) === 200 ? true : undefined,
        );
        return ackedAtStop;
      };
      const [ackedAtStop] = await Promise.all([operator(), ...deal(people, SENDERS).map(sender)]);

      // While down: refused with a 5xx, never acknowledged, never left unanswered.
      expect(whileDown.length).toBeGreaterThanOrEqual(REFUSED_WHILE_DOWN);
      expect(whileDown.filter((s) => s < 500 || s > 599)).toEqual([]);
      expect(acked.size).toBe(all.length);
      expect(svc.child.exitCode).toBeNull(); // recovered by itself, never restarted

      // Nothing acknowledged was lost: every one is stored once and applied.
      await waitUntil('the inbox to be applied', async () =>
        count(
          await rawQuery<{ n: number }>(
            cluster!.url,
            'select count(*) as n from inbox where processed_at_ms is null',
          ),
        ) === 0
          ? true
          : undefined,
      );
      const inbox = await rawQuery<{ event_id: string }>(cluster.url, 'select event_id from inbox');
      expect(inbox).toHaveLength(all.length);
      const stored = new Set(inbox.map((r) => r.event_id));
      expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
      const closed = await rawQuery<{ n: number }>(
        cluster.url,
        'select count(*) as n from cycles where ended_at_ms is not null',
      );
      expect(count(closed)).toBe(PEOPLE);
      console.info(
        `[faults] postgres restart: ${acked.size} webhooks acknowledged (${ackedAtStop} before the stop), ` +
          `${whileDown.length} refused while down (${JSON.stringify(countBy(whileDown))}), ` +
          `refused around the stop and start ${JSON.stringify(Object.fromEntries(refusedOtherwise))}`,
      );
    },
  );
});

function countBy(xs: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
