// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per module.
import { readFileSync } from 'node:fs';

function shortUrl(url) {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url.replace(/^file:\/\//, '');
}

function moduleOf(url) {
  if (!url) return '(native/gc/idle)';
  if (url.startsWith('node:')) return 'node core';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return shortUrl(url);
}

/** Returns { totalMs, idleMs, functions: [{name, where, ms, pct}], modules: [{module, ms, pct}] }. */
export function summariseProfile(file, top = 20) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  }
  let totalUs = 0;
  let idleUs = 0;
  const fns = new Map();
  const mods = new Map();
  for (const [id, us] of self) {
    const node = byId.get(id);
    const cf = node.callFrame;
    totalUs += us;
    if (cf.functionName === '(idle)' || cf.functionName === '(program)') {
      if (cf.functionName === '(idle)') idleUs += us;
    }
    const name = cf.functionName || '(anonymous)';
    const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    fns.set(key, { name, where, us: (fns.get(key)?.us ?? 0) + us });
    const mod = cf.url ? moduleOf(cf.url) : name.startsWith('(') ? name : '(native)';
    mods.set(mod, (mods.get(mod) ?? 0) + us);
  }
  // Attribute every sample to the nearest frame of our own code (dist/<area>/<file>), so that time
  // in kysely, better-sqlite3, jose or native code is charged to the part of the app that asked.
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owners = new Map();
  for (const [id, us] of self) {
    const leaf = byId.get(id).callFrame.functionName;
    if (leaf === '(idle)') continue;
    let owner = null;
    for (let cur = id; cur !== undefined && owner === null; cur = parent.get(cur)) {
      const url = byId.get(cur).callFrame.url;
      const dist = url ? url.indexOf('/dist/') : -1;
      if (dist >= 0 && !url.includes('node_modules/')) owner = url.slice(dist + 1);
    }
    owner ??= leaf.startsWith('(') ? leaf : '(outside our code: node/fastify/io)';
    owners.set(owner, (owners.get(owner) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const pct = (us) => (busyUs > 0 ? (100 * us) / busyUs : 0);
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...fns.values()]
      .filter((f) => f.name !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, pct: pct(f.us) })),
    owners: [...owners.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([owner, us]) => ({ owner, ms: us / 1000, pct: pct(us) })),
    modules: [...mods.entries()]
      .filter(([m]) => m !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, us]) => ({ module, ms: us / 1000, pct: pct(us) })),
  };
}

export function printProfile(title, summary, log = console.log) {
  log(
    `\n  CPU profile: ${title} (busy ${(summary.totalMs - summary.idleMs).toFixed(0)} ms, % of busy)`,
  );
  log('    by module:');
  for (const m of summary.modules.slice(0, 12)) {
    log(`      ${m.pct.toFixed(1).padStart(5)}%  ${m.module}`);
  }
  log('    by nearest own-code caller (inclusive of libraries and native code it calls):');
  for (const o of summary.owners.slice(0, 10)) {
    log(`      ${o.pct.toFixed(1).padStart(5)}%  ${o.owner}`);
  }
  log('    by function (self time):');
  for (const f of summary.functions) {
    log(`      ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  for (const file of process.argv.slice(2)) printProfile(file, summariseProfile(file, 30));
}
