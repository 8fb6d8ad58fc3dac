// Issue 7, item 2 (shared by the maintenance-crash-*.test.ts files, one per layout so each
// stays within the runner's per-file time limit at full size): crash during rotation and
// cleanup at every step. A fixture process runs
// one maintenance operation under fixtures/crash-hook.js, which counts the state-changing
// fs calls (open, write, fsync, rename, unlink, …) made on the WAL's directory in worker
// threads and SIGKILLs the process before or after the k-th. A first run with no crash
// lists the steps. After each crash: no acknowledged event is missing or duplicated across
// segments (strict read, verify() and readWal() agree), a leftover temp file is ignored by
// readers and swept (or at least never merged) by the next cleanup, the next writer
// continues the seq, and running the operation again completes it.
//
// The writer thread's own rotation (wal.rotate(), which shares core's shiftSegments) is
// crashed the same way, the hook armed only once the WAL is open; so is a rotation with
// rotate.compress (issue 19: the writer's compress thread gzips the new .1 and the writer
// puts it in place), whose re-run is the next compressing writer's open.
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { gunzipSync } from 'node:zlib';
import { rotatedIndexes, rotatedSegmentFile, readMetaNextSeq, parseLine, type WalRecord } from '@threadwal/core';
import { rotate, cleanup, verify, readWal, closePool, compress, applyRetention } from '@threadwal/maintenance';
import { tmpDir, fixture, run, within, report, FULL, readStrict, checkGapless } from './helpers.js';

const OLD_TS = 1000;
const NEW_TS = 4_000_000_000; // later than any file's mtime, so cleanup may delete whole segments by age
const MAX_AGE = 100;
const NAME = 'wal.jsonl';

type Op = 'rotate' | 'cleanup' | 'wal-rotate' | 'compress' | 'retention' | 'wal-compress';
/** What the retention layout applies: the two oldest of its three rotated segments go. */
const RETENTION_KEEP = 1;
interface Layout {
  name: string;
  op: Op;
  /** Segments oldest first (the last one is the active file): the ts of each event in it. */
  segments: Array<Array<'old' | 'new'>>;
  /** compress() the template's rotated segments once it is built. */
  compressed?: boolean;
}

const rep = (n: number, what: 'old' | 'new'): Array<'old' | 'new'> => Array.from({ length: n }, () => what);

const LAYOUTS: Layout[] = [
  { name: 'rotate', op: 'rotate', segments: [rep(10, 'new'), rep(10, 'new'), rep(10, 'new')] },
  { name: 'wal-rotate', op: 'wal-rotate', segments: [rep(10, 'new'), rep(10, 'new'), rep(10, 'new')] },
  // cleanup deletes .2 and .1 whole and rewrites the active file
  { name: 'cleanup-active', op: 'cleanup', segments: [rep(10, 'old'), rep(10, 'old'), [...rep(5, 'old'), ...rep(10, 'new')]] },
  // cleanup deletes .2 whole and rewrites .1; the active file is untouched
  { name: 'cleanup-rotated', op: 'cleanup', segments: [rep(10, 'old'), [...rep(5, 'old'), ...rep(10, 'new')], rep(10, 'new')] },
  // Issue 13: gzip of the three rotated segments (the active file stays plain)
  { name: 'compress', op: 'compress', segments: [rep(10, 'new'), rep(10, 'new'), rep(10, 'new'), rep(10, 'new')] },
  // Issue 13: retention by count deletes .3 and .2 (their events are 'old' only in that they go)
  { name: 'retention', op: 'retention', segments: [rep(10, 'old'), rep(10, 'old'), rep(10, 'new'), rep(10, 'new')] },
  // Issue 19: the writer's rotation with rotate.compress shifts .2.gz and .1.gz, then gzips the new .1
  { name: 'wal-compress', op: 'wal-compress', segments: [rep(10, 'new'), rep(10, 'new'), rep(10, 'new')], compressed: true },
];
/** Ops that may remove the layout's 'old' events. */
const removes = (op: Op): boolean => op === 'cleanup' || op === 'retention';

/** Builds a layout once (through the public API: appends and writer rotations). */
async function template(layout: Layout): Promise<{ dir: string; keep: Set<string>; all: number }> {
  const dir = tmpDir();
  const wal = await openWal<string>(join(dir, NAME));
  const keep = new Set<string>();
  let n = 0;
  for (const [i, seg] of layout.segments.entries()) {
    await Promise.all(seg.map((age) => {
      const id = `${age}-${n++}`;
      if (age === 'new') keep.add(id);
      return wal.append({ type: 'job_started', job_id: id, ts: age === 'old' ? OLD_TS : NEW_TS });
    }));
    if (i < layout.segments.length - 1) await wal.rotate({ maxRotations: 5 });
  }
  await wal.close();
  if (layout.compressed) await compress(join(dir, NAME));
  return { dir, keep, all: n };
}

interface Case {
  k: number;
  when: 'before' | 'after';
  how: 'kill' | 'throw';
  call: string;
}

async function runOp(dir: string, layout: Layout, c: Case | null, trace?: string): Promise<{ code: number | null; signal: string | null; lines: string[]; stderr: string }> {
  const path = join(dir, NAME);
  const args = layout.op === 'cleanup' ? [path, 'cleanup', String(MAX_AGE), String(NEW_TS)]
    : layout.op === 'wal-rotate' || layout.op === 'wal-compress' ? [path, layout.op, join(dir, 'armed')]
      : layout.op === 'retention' ? [path, 'retention', String(RETENTION_KEEP)] : [path, layout.op];
  const env: NodeJS.ProcessEnv = { THREADWAL_CRASH_DIR: dir, THREADWAL_CRASH_AT: String(c?.k ?? 0), THREADWAL_CRASH_WHEN: c?.when ?? 'before', THREADWAL_CRASH_HOW: c?.how ?? 'kill' };
  if (layout.op === 'wal-rotate' || layout.op === 'wal-compress') env.THREADWAL_CRASH_ARM = join(dir, 'armed');
  if (trace) env.THREADWAL_CRASH_TRACE = trace;
  const child = run(fixture('maintenance-op'), args, { env, execArgv: ['--import', fixture('crash-hook')] });
  const { code, signal } = await within(child.exited, `${layout.name} ${c ? `${c.when} step ${c.k}` : 'trace'}`);
  return { code, signal, lines: child.lines, stderr: child.stderr() };
}

/** A compressed segment, strictly: it must decompress whole (a partial .gz under a segment's name throws) and parse. */
function readStrictGz(file: string): WalRecord[] {
  const buf = gunzipSync(readFileSync(file));
  if (buf.length > 0 && buf[buf.length - 1] !== 0x0a) throw new Error(`${file} does not end with a newline`);
  return buf.toString('utf8').split('\n').slice(0, -1).map((l, i) => parseLine(l, { file, offset: i }));
}

/** The records of every segment in reading order, strictly (a torn or bad line throws); each index once, the plain file first, as readers do. */
function readAll(path: string): WalRecord[] {
  const out: WalRecord[] = [];
  for (const i of rotatedIndexes(path)) {
    const f = rotatedSegmentFile(path, i)!;
    out.push(...(f.endsWith('.gz') ? readStrictGz(f) : readStrict(f)));
  }
  out.push(...readStrict(path));
  return out;
}

function leftovers(dir: string): { cleanupTemps: string[]; metaTemps: string[]; lockTemps: string[] } {
  const names = readdirSync(dir);
  return {
    cleanupTemps: names.filter((n) => n.startsWith(`${NAME}.cleanup-`)),
    metaTemps: names.filter((n) => n.startsWith(`${NAME}.meta.tmp`)),
    lockTemps: names.filter((n) => n.startsWith(`${NAME}.lock.tmp`)),
  };
}

/** Everything checked after one crash; returns what it found for the report. */
async function check(dir: string, layout: Layout, keep: Set<string>, all: number, what: string, acked: string[]): Promise<{ cleanupTemps: number; metaTemps: number }> {
  const path = join(dir, NAME);
  const records = readAll(path);
  checkGapless(records, records[0]?.seq ?? 0);
  const ids = new Set(records.map((r) => r.job_id));
  for (const id of keep) assert.ok(ids.has(id), `${what}: ${id} is missing`);
  for (const id of acked) assert.ok(ids.has(id), `${what}: acknowledged ${id} is missing`);
  if (!removes(layout.op)) assert.ok(records.length >= all, `${what}: a rotation lost events`);
  for (const i of rotatedIndexes(path)) {
    // Both names of one index (a crash between a compression's rename and unlink) hold the same lines.
    const gz = `${path}.${i}.gz`;
    if (existsSync(`${path}.${i}`) && existsSync(gz)) assert.equal(readStrictGz(gz), readStrict(`${path}.${i}`).map(({ offset: _, ...r }) => r), `${what}: a .gz beside its plain segment differs`);
  }

  const v = await verify(path);
  assert.ok(v.ok, `${what}: verify() failed: ${JSON.stringify(v.counts)}`);
  assert.is(v.events, records.length, `${what}: verify() counts the events`);
  assert.is(v.tornTailBytes, 0);
  const read: number[] = [];
  for await (const r of readWal(path)) read.push(r.seq);
  assert.equal(read, records.map((r) => r.seq), `${what}: readWal() yields exactly the segments' records`);
  const left = leftovers(dir);
  assert.equal(v.tempFiles.map((p) => p.slice(dir.length + 1)).sort(), [...left.cleanupTemps, ...left.metaTemps, ...left.lockTemps].sort(), `${what}: verify() lists the leftover temps`);

  // The dead process may have held the lock: we know it is dead, so clear it rather than wait out the stale time.
  rmSync(`${path}.lock`, { recursive: true, force: true });
  // The next writer continues the seq (never reusing one), then the operation is run again to completion.
  const expectNext = Math.max((records.at(-1)?.seq ?? -1) + 1, readMetaNextSeq(path));
  const wal = await openWal<string>(path);
  const seqs = await Promise.all(Array.from({ length: 5 }, (_, i) => wal.append({ type: 'job_started', job_id: `resume-${i}`, ts: NEW_TS })));
  await wal.close();
  assert.equal(seqs, Array.from({ length: 5 }, (_, i) => expectNext + i), `${what}: the next writer continues the seq`);
  if (layout.op === 'cleanup') {
    const r = await cleanup(path, MAX_AGE, { now: NEW_TS });
    // (The writer above already swept the lock's temp names when it took the lock.)
    assert.is(r.sweptTemps, left.cleanupTemps.length + left.metaTemps.length, `${what}: the next cleanup sweeps the dead process's temp files`);
  } else if (layout.op === 'compress') {
    const r = await compress(path);
    assert.is(r.sweptTemps, left.cleanupTemps.length + left.metaTemps.length, `${what}: the next compress sweeps the dead one's temp files`);
    for (const i of rotatedIndexes(path)) assert.not.ok(existsSync(`${path}.${i}`), `${what}: .${i} is still plain after compress ran again`);
  } else if (layout.op === 'retention') {
    await applyRetention(path, { maxSegments: RETENTION_KEEP });
    assert.is(rotatedIndexes(path).length, RETENTION_KEEP, `${what}: retention ran again keeps ${RETENTION_KEEP}`);
  } else if (layout.op === 'wal-compress') {
    // The next compressing writer's open finishes what the crash left: no plain rotated segment, no temp.
    const w = await openWal<string>(path, { rotate: { maxSizeBytes: 1e12, maxRotations: 5, compress: 'gzip' } });
    for (let i = 0; i < 1000 && (rotatedIndexes(path).some((i) => existsSync(`${path}.${i}`)) || leftovers(dir).cleanupTemps.length > 0); i++) await new Promise((r) => setTimeout(r, 10));
    const c = (await w.stats()).compression!;
    await w.close();
    assert.is(c.errors, 0, `${what}: the next writer's compression failed`);
    for (const i of rotatedIndexes(path)) assert.not.ok(existsSync(`${path}.${i}`), `${what}: .${i} is still plain after the next compressing writer's open`);
  } else {
    await rotate(path, 0, 5);
  }
  const after = readAll(path);
  checkGapless(after, after[0]?.seq ?? 0);
  const afterIds = new Set(after.map((r) => r.job_id));
  for (const id of [...keep, ...acked, ...Array.from({ length: 5 }, (_, i) => `resume-${i}`)]) assert.ok(afterIds.has(id), `${what}: ${id} missing after the operation was run again`);
  if (removes(layout.op)) assert.not.ok(after.some((r) => r.ts === OLD_TS), `${what}: old events remain after a complete ${layout.op}`);
  const after2 = leftovers(dir);
  assert.equal([...after2.cleanupTemps, ...after2.metaTemps, ...after2.lockTemps], [], `${what}: temp files remain after a complete ${layout.op}`);
  assert.ok((await verify(path)).ok);
  return { cleanupTemps: left.cleanupTemps.length, metaTemps: left.metaTemps.length };
}

/** Runs `fn` over `items`, two at a time (two cores). */
async function pairwise<T>(items: T[], fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all([0, 1].map(async () => { while (queue.length) await fn(queue.shift()!); }));
}

/** Registers the crash test of one layout on `test` (then the caller runs it). */
export function crashTest(test: Test, name: string): void {
  const layout = LAYOUTS.find((l) => l.name === name);
  if (!layout) throw new Error(`no layout ${name}`);
  test(`crash during ${layout.name} at every step: nothing acknowledged lost or duplicated, temps ignored, the next run completes`, async () => {
    const { dir: tpl, keep, all } = await template(layout);
    // A dry run lists the steps.
    const dry = tmpDir();
    cpSync(tpl, dry, { recursive: true });
    const trace = join(dry, 'trace');
    const first = await runOp(dry, layout, null, trace);
    assert.is(first.code, 0, `dry run failed: ${first.stderr}`);
    assert.ok(first.lines.some((l) => l.startsWith('{"ok"')), `dry run: ${first.lines.join('\n')}`);
    const steps = readFileSync(trace, 'utf8').trim().split('\n').map((l) => l.split(' ').slice(1).join(' '));
    rmSync(trace);
    await check(dry, layout, keep, all, `${layout.name} dry run`, []);

    // CI: killed before and after every rename and unlink (the commit points), and during
    // the copy into a temp file. Full: killed before and after every step, plus an EIO
    // injected at every write, sync, rename and unlink.
    const cases: Case[] = [];
    steps.forEach((call, i) => {
      if (FULL || /^(renameSync|unlinkSync)/.test(call)) for (const when of ['before', 'after'] as const) cases.push({ k: i + 1, when, how: 'kill', call });
      else if (/^writeSync/.test(call) && /^openSync.*\.cleanup-/.test(steps[i - 1] ?? '')) cases.push({ k: i + 1, when: 'before', how: 'kill', call });
      if (FULL && /^(renameSync|unlinkSync|writeSync|fsyncSync|fdatasyncSync)/.test(call)) cases.push({ k: i + 1, when: 'before', how: 'throw', call });
    });

    let killed = 0;
    let threw = 0;
    let cleanupTemps = 0;
    let metaTemps = 0;
    await pairwise(cases, async (c) => {
      const dir = tmpDir();
      cpSync(tpl, dir, { recursive: true });
      const r = await runOp(dir, layout, c);
      const what = `${layout.name}: ${c.how} ${c.when} step ${c.k} (${c.call})`;
      if (c.how === 'kill') {
        assert.is(r.signal, 'SIGKILL', `${what}: the process was not killed (${r.code}): ${r.stderr} ${r.lines.join(" / ")}`);
        killed += 1;
      } else {
        assert.is(r.code, 0, `${what}: ${r.stderr}`);
        const out = r.lines.find((l) => l.startsWith('{'));
        assert.ok(out, `${what}: no result`);
        const res = JSON.parse(out!) as { ok?: unknown; error?: string };
        // An fs call failing makes the operation reject with a WalError (or, for the writer's
        // rotation, fail the writer), never crash or hang; a failure after the commit point may go unnoticed.
        if (res.error !== undefined) assert.ok(/^E[A-Z]+$/.test(res.error), `${what}: rejected with ${res.error}`);
        threw += 1;
      }
      const acked = r.lines.filter((l) => l.startsWith('a ')).map((l) => l.split(' ')[2]!);
      const found = await check(dir, layout, keep, all, what, acked);
      cleanupTemps += found.cleanupTemps;
      metaTemps += found.metaTemps;
    });
    report(`maintenance-crash/${layout.name}`, {
      steps: steps.length, crash_runs: killed, eio_runs: threw, events: all,
      leftover_cleanup_temps_swept: cleanupTemps, leftover_meta_temps_swept: metaTemps,
    });
    assert.ok(existsSync(join(tpl, NAME)));
  });
  test.after(async () => {
    await closePool();
  });
}
