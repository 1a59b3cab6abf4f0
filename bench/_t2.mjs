import { spawn } from 'node:child_process';
import autocannon from 'autocannon';
const code = `
import Fastify from 'fastify';
const app = Fastify();
const big = ${JSON.stringify(
  JSON.stringify({
    room: 'room-0',
    identity: 'user-0-0',
    name: 'User user-0-0',
    inMeeting: true,
    attendedMs: 21551497,
    firstJoinedAt: '2026-11-25T14:42:03.949Z',
    lastLeftAt: '2026-11-25T14:43:03.000Z',
    lastVerifiedAt: null,
    cycles: [
      {
        sid: 'PA_0_0_0',
        kind: 'STANDARD',
        joinedAt: '2026-11-25T14:42:03.949Z',
        leftAt: '2026-11-25T14:43:03.000Z',
        durationMs: 59051,
        counted: true,
        openedBy: 'webhook',
        closedBy: 'webhook',
      },
      {
        sid: 'PA_0_0_1',
        kind: 'STANDARD',
        joinedAt: '2026-11-25T14:44:03.949Z',
        leftAt: null,
        durationMs: 21492446,
        counted: true,
        openedBy: 'webhook',
        closedBy: null,
      },
    ],
  }),
)};
app.get('/small/:a', async () => ({ ok: true }));
app.get('/big/:a', async (req, reply) => reply.type('application/json').send(big));
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write('READY ' + app.server.address().port + '\\n');
`;
const c = spawn('taskset', ['-c', '0', process.execPath, '--input-type=module', '-e', code], {
  stdio: ['ignore', 'pipe', 'inherit'],
  cwd: '/work/main',
});
let out = '';
const port = await new Promise((r) =>
  c.stdout.on('data', (b) => {
    out += b;
    const m = out.match(/READY (\d+)/);
    if (m) r(Number(m[1]));
  }),
);
for (const p of ['small', 'big', 'small', 'big']) {
  const requests = Array.from({ length: 500 }, (_, k) => ({
    method: 'GET',
    path: `/${p}/${k}`,
    headers: { authorization: 'Bearer x' },
  }));
  const r = await new Promise((res) =>
    autocannon(
      { url: `http://127.0.0.1:${port}`, connections: 64, duration: 5, requests },
      (e, r) => res(r),
    ),
  );
  console.log(p, Math.round(r['2xx'] / r.duration), 'p99', r.latency.p99);
}
c.kill();
