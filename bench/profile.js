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
    modules: [...mods.entries()]
      .filter(([m]) => m !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, us]) => ({ module, ms: us / 1000, pct: pct(us) })),
  };
}

export function printProfile(title, summary, log = console.log) {
  log(`\n  CPU profile: ${title} (busy ${(summary.totalMs - summary.idleMs).toFixed(0)} ms, % of busy)`);
  log('    by module:');
  for (const m of summary.modules.slice(0, 12)) {
    log(`      ${m.pct.toFixed(1).padStart(5)}%  ${m.module}`);
  }
  log('    by function (self time):');
  for (const f of summary.functions) {
    log(`      ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}`);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  for (const file of process.argv.slice(2)) printProfile(file, summariseProfile(file, 30));
}
