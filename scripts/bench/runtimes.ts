// `pnpm bench:runtimes [--quick] [--reps N]`: the same fixed workload (runtime-workload.ts)
// under Node, Bun and Deno in one run, side by side, each row's ratio to Node's. threadwal
// is packed and npm-installed into a fresh app first, so every runtime runs what a user
// gets. Each repetition runs every runtime once per mode, in an order rotated from one
// repetition to the next; a ratio is taken within its repetition (runtime ÷ node, same
// minute of the same run) and the table shows the median ev/s and the median of those
// ratios, so a machine that gets busier mid-run tilts no runtime in particular.
// Bun and Deno are found as the runtime suite finds them (THREADWAL_BUN / THREADWAL_DENO,
// then ~/.cache/threadwal-runtimes from `npm install --prefix`, then PATH); a missing one
// is left out, saying so.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, reps: { type: 'string' } } });
const reps = Number(values.reps ?? (values.quick ? 1 : 5));
const measureS = values.quick ? 1 : 2;
const MODES = ['window', 'nowait'] as const;

interface Rt { name: string; bin: string; version: string; pre: string[] }

function version(bin: string, re: RegExp): string | null {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return r.error || r.status !== 0 ? null : re.exec(r.stdout)?.[1] ?? null;
}

function find(name: string, candidates: Array<string | undefined>, re: RegExp, pre: string[]): Rt | string {
  for (const bin of candidates) {
    if (!bin || (bin.includes('/') && !existsSync(bin))) continue;
    const v = version(bin, re);
    if (v) return { name, bin, version: v, pre };
  }
  return `${name}: no binary found (THREADWAL_${name.toUpperCase()}, ~/.cache/threadwal-runtimes, PATH)`;
}

const nm = join(process.env.THREADWAL_RUNTIMES_DIR || join(homedir(), '.cache', 'threadwal-runtimes'), 'node_modules');
const denoDirs = existsSync(join(nm, '@deno')) ? readdirSync(join(nm, '@deno')).filter((d) => d.startsWith(`${process.platform}-`)).map((d) => join(nm, '@deno', d, 'deno')) : [];
const found = [
  { name: 'node', bin: process.execPath, version: process.versions.node, pre: [] } as Rt,
  find('bun', [process.env.THREADWAL_BUN, join(nm, 'bun', 'bin', 'bun.exe'), 'bun'], /^(\d+\.\d+\.\d+)/m, []),
  find('deno', [process.env.THREADWAL_DENO, ...denoDirs, 'deno'], /^deno (\d+\.\d+\.\d+)/m, ['run', '-A', '--quiet']),
];
const runtimes = found.filter((r): r is Rt => typeof r !== 'string');
for (const r of found) if (typeof r === 'string') console.log(`left out: ${r}`);

// A fresh app with the packed packages, and the workload built beside them.
const tmp = mkdtempSync(join(tmpdir(), 'threadwal-bench-runtimes-'));
try {
  const app = join(tmp, 'app');
  mkdirSync(app);
  const packs = join(tmp, 'packs');
  const packed = JSON.parse(execFileSync('npx', ['-y', 'pnpm@12.21.0', '-r', 'pack', '--pack-destination', packs, '--json'], { cwd: root, encoding: 'utf8' })) as Array<{ filename: string }>;
  writeFileSync(join(app, 'package.json'), '{ "name": "bench-app", "private": true, "type": "module" }\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...[packed].flat().map((p) => p.filename)], { cwd: app, stdio: 'inherit' });
  copyFileSync(join(root, 'dist-scripts', 'bench', 'runtime-workload.js'), join(app, 'workload.js'));

  const load0 = loadavg()[0]!;
  const cells = new Map<string, Array<{ evPerSec: number; meanBatch: number }>>();
  for (let rep = 0; rep < reps; rep++) {
    const order = runtimes.map((_, k) => runtimes[(k + rep) % runtimes.length]!);
    for (const mode of MODES) {
      for (const rt of order) {
        const dir = mkdtempSync(join(tmp, `${rt.name}-${mode}-`));
        const r = spawnSync(rt.bin, [...rt.pre, 'workload.js', dir, mode, String(measureS)], { cwd: app, encoding: 'utf8', timeout: 120_000 });
        rmSync(dir, { recursive: true, force: true });
        const line = r.stdout?.split('\n').find((l) => l.startsWith('{'));
        if (r.status !== 0 || !line) throw new Error(`${rt.name} ${mode} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
        const key = `${rt.name} ${mode}`;
        cells.set(key, [...(cells.get(key) ?? []), JSON.parse(line) as { evPerSec: number; meanBatch: number }]);
        process.stderr.write(`  ${key} #${rep + 1}: ${JSON.parse(line).evPerSec} ev/s\n`);
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const cell = (rt: string, mode: string): { ev: number; batch: number; ratio: number } => {
    const c = cells.get(`${rt} ${mode}`)!;
    const node = cells.get(`node ${mode}`)!;
    return { ev: median(c.map((x) => x.evPerSec)), batch: median(c.map((x) => x.meanBatch)), ratio: median(c.map((x, k) => x.evPerSec / node[k]!.evPerSec)) };
  };
  const fmt = (n: number): string => n.toLocaleString('en-US');
  console.log(`\nthreadwal, one producer on the main thread, fdatasync; ${reps} repetition(s) of ${measureS} s per runtime and mode; load ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`);
  console.log('| runtime | awaited windows (1000 append, await all), ev/s | vs node | appendNoWait + flush (4 in flight), ev/s | vs node |');
  console.log('|---|---:|---:|---:|---:|');
  for (const rt of runtimes) {
    const w = cell(rt.name, 'window'), n = cell(rt.name, 'nowait');
    console.log(`| ${rt.name} ${rt.version} | ${fmt(w.ev)} (batch≈${w.batch}) | ${w.ratio.toFixed(2)} | ${fmt(n.ev)} (batch≈${n.batch}) | ${n.ratio.toFixed(2)} |`);
  }
  console.log('(ev/s: median of the repetitions; vs node: median of each repetition\'s ratio)');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
