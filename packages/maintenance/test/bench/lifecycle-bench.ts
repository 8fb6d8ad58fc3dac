// Measures issue 13's targets on a 1 GiB rotated segment: gzip (compress) MB/s of input,
// ratio and peak RSS at levels 1 and 6; readWal over the compressed segment in MB/s of
// plain output; and a writer's append latency alone and while compress runs. Not a test:
//   node scripts/build.mjs && node packages/maintenance/dist/test/bench/lifecycle-bench.js [dir] [scenario...]
// scenarios: gzip, read, latency, checksum (the writer thread's cost per line of `checksum: 'crc32c'`). Each measurement runs in a fresh process (its own peak RSS).
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compress, readWal, closePool } from '../../src/index.js';
import { Stamper } from '@threadwal/core';

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
const SELF = fileURLToPath(import.meta.url);

/** A rotated segment of `bytes` of the writer's lines (varied ids and outputs, as a job log). */
function gen(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const caps = ['FileRead', 'FileWrite', 'Network', 'Exec'];
  const types = ['job_submitted', 'job_started', 'job_completed', 'command_executed'];
  let seq = 0;
  let written = 0;
  const parts: string[] = [];
  let partBytes = 0;
  const ts0 = Math.floor(Date.now() / 1000) - 3600;
  while (written < bytes) {
    const l = `{"seq":${seq},"ts":${ts0 + (seq >> 10)},"type":"${types[seq & 3]}","job_id":"job-${(seq * 2654435761) % 1000003}","capability":"${caps[(seq >> 2) & 3]}","output":{"ok":${seq % 7 !== 0},"ms":${(seq * 37) % 1000},"path":"/srv/data/${(seq * 131) % 9973}.json"}}\n`;
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
}

async function child(op: string, path: string, level: string): Promise<void> {
  const t0 = performance.now();
  let out: Record<string, unknown> = {};
  if (op === 'gzip') {
    const r = await compress(path, { level: Number(level) });
    out = { bytesIn: r.bytesIn, bytesOut: r.bytesOut, ratio: r.ratio };
  } else if (op === 'read') {
    let n = 0;
    for await (const r of readWal(path)) n += r.seq >= 0 ? 1 : 0;
    out = { records: n };
  }
  const ms = performance.now() - t0;
  await closePool();
  process.stdout.write(JSON.stringify({ ms, maxRssMB: process.resourceUsage().maxRSS / 1024, ...out }) + '\n');
}

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
  process.stdout.write(JSON.stringify({ appends: lat.length, p50: q(0.5), p99: q(0.99), max: Math.round(lat.at(-1)!) }) + '\n');
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

async function main(): Promise<void> {
  const [dirArg, ...only] = process.argv.slice(2);
  const dir = dirArg && dirArg !== '-' ? dirArg : mkdtempSync(join(tmpdir(), 'threadwal-lc-bench-'));
  const want = (s: string): boolean => only.length === 0 || only.includes(s);
  console.log(`dir ${dir}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (want('checksum')) checksumCost();
  if (only.length > 0 && only.every((s) => s === 'checksum')) {
    if (!dirArg || dirArg === '-') rmSync(dir, { recursive: true, force: true });
    return;
  }
  const path = join(dir, 'lc.wal');
  const plain = join(dir, 'plain-1g');
  gen(plain, GB);
  execFileSync('sync');
  const fresh = (): void => {
    for (const f of [path, `${path}.1`, `${path}.1.gz`, `${path}.meta`]) rmSync(f, { force: true });
    copyFileSync(plain, `${path}.1`);
    writeFileSync(path, '');
    execFileSync('sync');
  };
  if (want('gzip') || want('read')) {
    for (const level of want('gzip') ? ['1', '6'] : ['6']) {
      fresh();
      const r = JSON.parse(await run(['child', 'gzip', path, level])) as { ms: number; maxRssMB: number; bytesIn: number; bytesOut: number; ratio: number };
      console.log(`gzip level ${level}, 1 GiB segment: ${(r.bytesIn / 1e6 / (r.ms / 1000)).toFixed(0)} MB/s of input, ratio ${r.ratio.toFixed(1)} (${(r.bytesOut / MB).toFixed(0)} MiB), ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.maxRssMB.toFixed(0)} MB`);
    }
    if (want('read')) {
      const gzBytes = statSync(`${path}.1.gz`).size;
      const r = JSON.parse(await run(['child', 'read', path, '0'])) as { ms: number; maxRssMB: number; records: number };
      console.log(`readWal over .gz (level 6, ${(gzBytes / MB).toFixed(0)} MiB): ${(GB / 1e6 / (r.ms / 1000)).toFixed(0)} MB/s of plain output, ${(r.records / (r.ms / 1000) / 1e6).toFixed(2)} M records/s, peak RSS ${r.maxRssMB.toFixed(0)} MB`);
      copyFileSync(plain, `${path}.1`); // plain again, for comparison in the same run
      rmSync(`${path}.1.gz`);
      const p = JSON.parse(await run(['child', 'read', path, '0'])) as { ms: number };
      console.log(`readWal over the plain segment, same run: ${(GB / 1e6 / (p.ms / 1000)).toFixed(0)} MB/s`);
    }
  }
  if (want('latency')) {
    const stop = join(dir, 'stop');
    for (const phase of ['alone', 'during-compress']) {
      fresh();
      rmSync(stop, { force: true });
      rmSync(`${stop}.ready`, { force: true });
      const app = run(['appender', path, stop]);
      while (!existsSync(`${stop}.ready`)) await sleep(10);
      let op = '';
      if (phase === 'alone') await sleep(8000);
      else op = await run(['child', 'gzip', path, '6']);
      writeFileSync(stop, '');
      console.log(`append latency µs, ${phase}: ${await app}${op ? `  compress: ${op}` : ''}`);
    }
  }
  if (!dirArg || dirArg === '-') rmSync(dir, { recursive: true, force: true });
  console.log(`load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

/** ns per ~200-byte line that stamping a framed 4 MiB batch adds (best of 5 rounds, one thread). */
function checksumCost(): void {
  let text = '';
  for (let i = 0; text.length < 4 * MB; i++) text += `{"seq":${1_000_000 + i},"ts":1715800000,"type":"job_completed","job_id":"job-${i}","capability":"FileRead","output":{"ok":true,"rows":${i % 977},"path":"/srv/data/${i % 9973}.json"}}\n`;
  const buf = Buffer.from(text);
  const count = text.split('\n').length - 1;
  const st = new Stamper();
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    st.stamp(buf, buf.length, count);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / count);
  }
  console.log(`checksum crc32c: ${best.toFixed(0)} ns per ${Math.round(buf.length / count)}-byte line on the writer thread (0 on the producer), ${(buf.length / 1e6 / (best * count / 1e9)).toFixed(0)} MB/s`);
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'child') await child(a!, b!, c ?? '6');
else if (mode === 'appender') await appender(a!, b!);
else await main();
