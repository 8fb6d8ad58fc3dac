// Measures cleanup, verify and readWal on a 1 GB WAL, and a writer's append latency while a
// cleanup rewrites the file it appends to. Not a test (no assertions, not run by CI):
//   node scripts/build.mjs && node packages/maintenance/dist/test/bench/maintenance-bench.js [dir] [scenario...]
// Each scenario runs in a fresh process so its peak RSS is its own. The WAL is written
// directly with fs (fast), not through a writer.
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanup, verify, readWal, closePool } from '../../src/index.js';

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
const NOW = Math.floor(Date.now() / 1000);
const OLD = NOW - 100_000;
const SELF = fileURLToPath(import.meta.url);

/** Writes `bytes` of lines from seq `from`; the first `oldFraction` of them old. Returns the next seq. */
function gen(path: string, bytes: number, from: number, oldFraction: number, mtime?: number): number {
  const fd = openSync(path, 'w');
  const pad = 'x'.repeat(60);
  let seq = from;
  let written = 0;
  const parts: string[] = [];
  let partBytes = 0;
  while (written < bytes) {
    const ts = written < bytes * oldFraction ? OLD : NOW;
    const l = `{"seq":${seq},"ts":${ts},"type":"job_completed","job_id":"job-${seq}","capability":"FileRead","output":{"ok":true,"pad":"${pad}"}}\n`;
    parts.push(l);
    partBytes += l.length;
    written += l.length;
    seq += 1;
    if (partBytes >= 4 * MB) {
      writeSync(fd, parts.join(''));
      parts.length = 0;
      partBytes = 0;
    }
  }
  if (parts.length) writeSync(fd, parts.join(''));
  closeSync(fd);
  if (mtime !== undefined) utimesSync(path, mtime, mtime);
  return seq;
}

function layout(dir: string, name: string): string {
  const path = join(dir, `${name}.wal`);
  for (const f of [path, `${path}.meta`]) rmSync(f, { force: true });
  for (let i = 1; i <= 16; i++) rmSync(`${path}.${i}`, { force: true });
  switch (name) {
    case 'active-half-old': gen(path, GB, 0, 0.5); break;
    case 'active-all-old-but-tail': gen(path, GB, 0, 0.99); break;
    case 'segments-old': {
      let seq = 0;
      for (let i = 8; i >= 1; i--) seq = gen(`${path}.${i}`, GB / 8, seq, 1, OLD);
      gen(path, MB, seq, 0);
      break;
    }
    case 'segments-boundary-mid': {
      let seq = 0;
      for (let i = 8; i >= 1; i--) seq = gen(`${path}.${i}`, GB / 8, seq, i > 4 ? 1 : i === 4 ? 0.5 : 0, i > 4 ? OLD : undefined);
      gen(path, MB, seq, 0);
      break;
    }
    default: throw new Error(`unknown layout ${name}`);
  }
  // Write the generated GB back now, so the kernel's flusher does not stall fsyncs later.
  execFileSync('sync');
  return path;
}

/** Child: run one operation, print its figures as JSON. */
async function child(op: string, path: string): Promise<void> {
  const t0 = performance.now();
  let out: unknown;
  switch (op) {
    case 'verify': out = await verify(path); break;
    case 'verify-deep': out = await verify(path, { deep: true }); break;
    case 'cleanup': out = await cleanup(path, 3600); break;
    case 'read': {
      let n = 0;
      for await (const r of readWal(path)) n += r.seq >= 0 ? 1 : 0;
      out = { records: n };
      break;
    }
    default: throw new Error(`unknown op ${op}`);
  }
  const ms = performance.now() - t0;
  await closePool();
  const r = out as { bytes?: number; bytesBefore?: number; events?: number; removed?: number; ok?: boolean; records?: number; maxLockHoldMs?: number };
  process.stdout.write(JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, bytes: r.bytes ?? r.bytesBefore, events: r.events ?? r.records, removed: r.removed, maxLockHoldMs: r.maxLockHoldMs, ok: r.ok }) + '\n');
}

/** Child: appends one event at a time (awaiting each) until `stop` exists; prints latency figures in µs. */
async function appender(path: string, stop: string): Promise<void> {
  const { openWal } = await import('@threadwal/client');
  const wal = await openWal(path);
  const lat: number[] = [];
  writeFileSync(`${stop}.ready`, '');
  while (!existsSync(stop)) {
    const t0 = performance.now();
    await wal.append({ type: 'job_started', job_id: 'lat' });
    lat.push((performance.now() - t0) * 1000);
  }
  await wal.close();
  lat.sort((a, b) => a - b);
  const q = (p: number): number => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!);
  process.stdout.write(JSON.stringify({ appends: lat.length, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: Math.round(lat.at(-1)!) }) + '\n');
}

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [SELF, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => { out += d; });
    c.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Append latency alone for `ms`, then while a cleanup of the same WAL runs. */
async function latency(dir: string): Promise<void> {
  const path = layout(dir, 'active-half-old');
  const stop = join(dir, 'stop');
  for (const phase of ['alone', 'during-cleanup']) {
    rmSync(stop, { force: true });
    rmSync(`${stop}.ready`, { force: true });
    const app = run(['appender', path, stop]);
    while (!existsSync(`${stop}.ready`)) await sleep(10);
    let op = '';
    if (phase === 'alone') await sleep(5000);
    else op = await run(['child', 'cleanup', path]);
    writeFileSync(stop, '');
    console.log(`append latency µs, ${phase}: ${await app}${op ? `  cleanup: ${op}` : ''}`);
  }
}

async function main(): Promise<void> {
  const [dirArg, ...only] = process.argv.slice(2);
  const dir = dirArg && dirArg !== '-' ? dirArg : mkdtempSync(join(tmpdir(), 'threadwal-bench-'));
  const want = (s: string): boolean => only.length === 0 || only.includes(s);
  console.log(`dir ${dir}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const report = (name: string, json: string): void => {
    const r = JSON.parse(json) as { ms: number; bytes: number; maxRssMB: number };
    console.log(`${name}: ${(r.bytes / MB / (r.ms / 1000)).toFixed(0)} MB/s, ${(r.ms / 1000).toFixed(2)} s, peak RSS ${r.maxRssMB.toFixed(0)} MB  ${json}`);
  };
  if (want('verify') || want('read')) {
    const path = layout(dir, 'active-half-old');
    if (want('verify')) {
      report('verify 1 GB (warm cache)', await run(['child', 'verify', path]));
      report('verify --deep 1 GB', await run(['child', 'verify-deep', path]));
    }
    if (want('read')) {
      const r = JSON.parse(await run(['child', 'read', path])) as { ms: number; events: number; maxRssMB: number };
      console.log(`readWal 1 GB: ${(GB / MB / (r.ms / 1000)).toFixed(0)} MB/s, ${(r.events / (r.ms / 1000) / 1e6).toFixed(2)} M records/s, peak RSS ${r.maxRssMB.toFixed(0)} MB`);
    }
  }
  for (const name of ['active-half-old', 'active-all-old-but-tail', 'segments-old', 'segments-boundary-mid']) {
    if (!want(name)) continue;
    const path = layout(dir, name);
    report(`cleanup ${name}`, await run(['child', 'cleanup', path]));
  }
  if (want('latency')) await latency(dir);
  if (!dirArg) rmSync(dir, { recursive: true, force: true });
  console.log(`load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'child') await child(a!, b!);
else if (mode === 'appender') await appender(a!, b!);
else await main();
