// Summarises the V8 CPU profiles that `--cpu-prof DIR` left (one per case process and per
// thread): self time by function and by package, so a missed target can be traced to the
// functions of packages/core or packages/client that cost the time.
//   node dist-scripts/bench/profile-summary.js DIR [--top N]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : n.endsWith('.cpuprofile') ? [p] : [];
  });
}

/** Which package a frame belongs to, from its URL. */
function owner(url: string): string {
  const m = /packages\/([^/]+)\//.exec(url);
  if (m) return `@threadwal/${m[1]}`;
  if (url.includes('dist-scripts/bench')) return 'bench harness';
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url === '' ? '(native / VM)' : 'other';
}

function summarise(path: string, top: number): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\/.*?\/(packages|dist-scripts|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    fn.set(key, (fn.get(key) ?? 0) + us);
    pkg.set(owner(f.url), (pkg.get(owner(f.url)) ?? 0) + us);
  }
  const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const idle = (fn.get('(idle)') ?? 0) + (fn.get('(program)') ?? 0);
  const lines = [`${path}  (${(total / 1000).toFixed(0)} ms sampled, ${pct(idle).trim()} idle/program)`];
  lines.push('  by package: ' + [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => `${k} ${pct(v).trim()}`).join(', '));
  for (const [k, v] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(v)}  ${k}`);
  return lines.join('\n');
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
const dir = positionals[0];
if (!dir) {
  console.error('usage: node dist-scripts/bench/profile-summary.js DIR [--top N]');
  process.exit(2);
}
for (const f of files(dir).sort()) console.log(`${summarise(f, Number(values.top)).replace(f, relative(dir, f))}\n`);
