// Issue 22, item 4: a full disk is recoverable. On a real small filesystem filled to 0 bytes
// free, the tools meant to free space can: rotate, cleanup, applyRetention, the writer's
// retention and compress; no temp file survives a failed step (the next call sweeps and
// reports a killed process's leftovers); and the writer appends again as soon as there is
// room. Each test mounts its own 1 MiB tmpfs and, where loop devices work, a 4 MiB ext4 image
// (mkfs -m 0: no blocks reserved for root, so "full" is full for every user); both need root,
// and a test prints why it skipped otherwise. The mounts are unmounted in a finally.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { rotate, cleanup, applyRetention, compress, verify, readWal } from '@threadwal/maintenance';
import { isWalError } from '@threadwal/core';

const OLD_TS = 1715800000;
const NOW = OLD_TS + 10 * 86400;
const isRoot = process.getuid?.() === 0;

/** One record line as the writer writes it, ~260 bytes. */
function line(seq: number, ts: number): string {
  return `{"seq":${seq},"ts":${ts},"type":"job_started","job_id":"job-${seq}","output":"${'x'.repeat(200)}"}\n`;
}

/** Writes `{path}.N … .1` (oldest first) of `perSeg` lines each from seq 0, then `active` lines into `{path}`; returns the next seq. */
function layOut(path: string, segs: number, perSeg: number, active: number, ts: (seq: number) => number): number {
  let seq = 0;
  for (let i = segs; i >= 1; i--) {
    let s = '';
    for (let j = 0; j < perSeg; j++, seq++) s += line(seq, ts(seq));
    writeFileSync(`${path}.${i}`, s);
  }
  let s = '';
  for (let j = 0; j < active; j++, seq++) s += line(seq, ts(seq));
  writeFileSync(path, s);
  return seq;
}

function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Fills the filesystem of `dir` to 0 bytes free with `{dir}/filler`; returns its path. */
function fill(dir: string): string {
  const p = join(dir, 'filler');
  const fd = openSync(p, 'a');
  try {
    for (const size of [65536, 4096, 512, 1]) {
      const b = Buffer.alloc(size, 0x61);
      try {
        for (;;) writeSync(fd, b);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  assert.is(freeBytes(dir), 0, 'the filesystem is full');
  return p;
}

/** Names in `dir` that are temp files of threadwal. */
function temps(dir: string): string[] {
  return readdirSync(dir).filter((n) => /\.tmp|\.tmp-/.test(n));
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

type Kind = 'tmpfs' | 'ext4';

/** Runs `fn` in the root of a fresh small filesystem of `kind`; false (with a printed reason) when it cannot be mounted. */
async function onSmallFs(kind: Kind, fn: (dir: string) => Promise<void>): Promise<boolean> {
  if (!isRoot) {
    console.log(`    (skipped on ${kind}: mounting a small filesystem needs root)`);
    return false;
  }
  const base = mkdtempSync(join(tmpdir(), `threadwal-full-${kind}-`));
  const dir = join(base, 'mnt');
  const image = join(base, 'fs.img');
  let mounted = false;
  try {
    try {
      execFileSync('mkdir', [dir]);
      if (kind === 'tmpfs') {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
      } else {
        execFileSync('truncate', ['-s', '4M', image]);
        execFileSync('mkfs.ext4', ['-q', '-m', '0', image], { stdio: 'pipe' });
        execFileSync('mount', ['-o', 'loop', image, dir], { stdio: 'pipe' });
      }
      mounted = true;
    } catch (err) {
      console.log(`    (skipped on ${kind}: cannot mount one here: ${(err as Error).message.split('\n')[0]})`);
      return false;
    }
    await fn(dir);
    return true;
  } finally {
    if (mounted) unmount(dir);
    rmSync(base, { recursive: true, force: true });
  }
}

/** Unmounts `dir`, waiting a little for files still open on it to close; at worst lazily (never leaves it mounted). */
function unmount(dir: string): void {
  for (let i = 0; i < 40; i++) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      return;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
}

/** Registers `name` once per filesystem kind. */
function fsTest(name: string, fn: (dir: string, kind: Kind) => Promise<void>): void {
  for (const kind of ['tmpfs', 'ext4'] as const) test(`${name} (${kind})`, async () => { await onSmallFs(kind, (dir) => fn(dir, kind)); });
}

/** Every record readWal yields, by seq; and verify is ok. */
async function readSeqs(path: string): Promise<number[]> {
  const out: number[] = [];
  for await (const r of readWal(path)) out.push(r.seq);
  assert.ok((await verify(path)).ok, 'verify is ok');
  return out;
}

fsTest('rotate at 0 bytes free: drops what maxRotations no longer keeps, leaves no temp file, the seq goes on', async (dir) => {
  const path = join(dir, 'app.wal');
  const next = layOut(path, 3, 200, 100, () => NOW);
  (await openWal(path)).close(); // gives the log its .meta (id), as any log has
  // A killed process's .meta temp from an earlier run: swept and reported.
  writeFileSync(`${path}.meta.tmp-${deadPid()}-abc123`, '{"next_seq":1}\n');
  fill(dir);
  const r = await rotate(path, 0, 1);
  assert.ok(r.rotated);
  assert.is(r.droppedSegments, 3, '.3 … .1 go, the active file becomes .1');
  assert.is(r.nextSeq, next);
  assert.is(r.sweptTemps, 1, 'the dead process\'s .meta temp was swept');
  assert.equal(temps(dir), [], 'no temp file is left');
  assert.ok(freeBytes(dir) > 0, 'space was freed');
  const wal = await openWal(path);
  assert.is(await wal.append({ type: 'job_started', job_id: 'after', ts: NOW }), next, 'the next event gets the next seq');
  await wal.close();
  const seqs = await readSeqs(path);
  assert.equal(seqs.at(-1), next);
});

fsTest('applyRetention at 0 bytes free: records the next seq in place and deletes what the policy drops', async (dir) => {
  const path = join(dir, 'app.wal');
  const next = layOut(path, 3, 200, 100, () => NOW);
  (await openWal(path)).close();
  fill(dir);
  const r = await applyRetention(path, { maxSegments: 1 }, { now: NOW });
  assert.is(r.deletedSegments, 2);
  assert.is(r.nextSeq, next);
  assert.equal(temps(dir), []);
  assert.ok(freeBytes(dir) > 0, 'space was freed');
  assert.equal((await readSeqs(path))[0], 400, 'the oldest two segments are gone, the rest intact');
});

fsTest('cleanup at 0 bytes free: deletes whole old segments, then rewrites the partly old one in the room that freed', async (dir) => {
  const path = join(dir, 'app.wal');
  // .3 and .2 old; .1 half old (needs a rewrite, which needs room); the active file new.
  const next = layOut(path, 3, 200, 100, (seq) => (seq < 500 ? OLD_TS : NOW));
  (await openWal(path)).close();
  writeFileSync(`${path}.cleanup-${deadPid()}-abcdef.tmp`, 'half a copy');
  fill(dir);
  const r = await cleanup(path, 86400, { now: NOW });
  assert.is(r.removed, 500);
  assert.is(r.deletedSegments, 2);
  assert.is(r.rewrittenSegments, 1, 'the second pass rewrote .1 in the space the deletions freed');
  assert.is(r.noSpaceSegments, 0);
  assert.is(r.sweptTemps, 1);
  assert.equal(temps(dir), []);
  const seqs = await readSeqs(path);
  assert.equal([seqs[0], seqs.at(-1), seqs.length], [500, next - 1, next - 500]);
});

fsTest('cleanup with no room for a rewrite and nothing whole to delete: ENOSPC, nothing changed, no temp file', async (dir) => {
  const path = join(dir, 'app.wal');
  const next = layOut(path, 1, 200, 100, (seq) => (seq < 100 ? OLD_TS : NOW));
  (await openWal(path)).close();
  fill(dir);
  let err: unknown;
  await cleanup(path, 86400, { now: NOW }).catch((e: unknown) => { err = e; });
  assert.ok(isWalError(err, 'ENOSPC'), String(err));
  assert.match((err as Error).message, /free space first/);
  assert.equal(temps(dir), []);
  assert.equal((await readSeqs(path)).length, next);
});

fsTest('compress at 0 bytes free: ENOSPC, nothing changed, no temp file; with a little room it compresses what fits, which frees room for the rest', async (dir) => {
  const path = join(dir, 'app.wal');
  // .2 (oldest, compressed first) barely compresses; .1 compresses well and is larger.
  let seq = 0;
  let s2 = '';
  for (let j = 0; j < 200; j++, seq++) s2 += line(seq, NOW).replace(/x+/, randomBytes(150).toString('base64'));
  writeFileSync(`${path}.2`, s2);
  let s1 = '';
  for (let j = 0; j < 400; j++, seq++) s1 += line(seq, NOW);
  writeFileSync(`${path}.1`, s1);
  writeFileSync(path, '');
  (await openWal(path)).close();
  const gz1 = gzipSync(s1, { level: 1 }).length;
  const gz2 = gzipSync(s2, { level: 1 }).length;
  const filler = fill(dir);
  let err: unknown;
  await compress(path).catch((e: unknown) => { err = e; });
  assert.ok(isWalError(err, 'ENOSPC'), String(err));
  assert.match((err as Error).message, /free space first/);
  assert.equal(temps(dir), []);
  assert.equal(readdirSync(dir).filter((n) => n.endsWith('.gz')), []);
  // Room for .1's copy but not for .2's: .2 waits, .1 goes (freeing its plain bytes), then .2.
  unlinkSync(filler);
  const room = Math.ceil(gz1 / 4096) * 4096 + 8192;
  assert.ok(gz2 > room + 8192 && Buffer.byteLength(s1) > gz2 + 8192, `sizes: gz1 ${gz1}, gz2 ${gz2}`);
  writeFileSync(filler, Buffer.alloc(freeBytes(dir) - room, 0x61));
  const r = await compress(path);
  assert.is(r.compressedSegments, 2, `both compressed: .1 first, then .2 in the room .1 freed: ${JSON.stringify(r)} ${readdirSync(dir).join(' ')} free ${freeBytes(dir)}`);
  assert.is(r.noSpaceSegments, 0);
  assert.equal(temps(dir), []);
  assert.equal((await readSeqs(path)).length, seq);
});

fsTest('the writer at 0 bytes free: the batch is rejected with ENOSPC and cut back, later batches succeed once there is room', async (dir) => {
  const path = join(dir, 'app.wal');
  const wal = await openWal(path);
  try {
    assert.is(await wal.append({ type: 'job_started', job_id: 'a', ts: NOW }), 0);
    const filler = fill(dir);
    let err: unknown;
    await wal.append({ type: 'job_started', job_id: 'b', ts: NOW, output: 'y'.repeat(8000) }).catch((e: unknown) => { err = e; });
    assert.ok(isWalError(err, 'ENOSPC'), String(err));
    assert.is((await wal.stats()).failed, false, 'not a fail-stop');
    unlinkSync(filler);
    assert.is(await wal.append({ type: 'job_started', job_id: 'c', ts: NOW }), 1, 'the rejected batch used no seq');
  } finally {
    await wal.close();
  }
  assert.equal(await readSeqs(path), [0, 1]);
});

fsTest("the writer's rotation and retention at 0 bytes free: they free space and appends go on (no fail-stop)", async (dir) => {
  const path = join(dir, 'app.wal');
  // An earlier run's segments, and an active file already past maxSizeBytes.
  const next = layOut(path, 3, 200, 200, () => NOW);
  const wal = await openWal(path, { rotate: { maxSizeBytes: 20_000 }, retention: { maxSegments: 1 } });
  try {
    fill(dir);
    // The first batch finds no room (rejected), then the cycle rotates: .meta in place, renames,
    // a fresh file, and retention deletes .2 … .4.
    let err: unknown;
    await wal.append({ type: 'job_started', job_id: 'full', ts: NOW, output: 'y'.repeat(8000) }).catch((e: unknown) => { err = e; });
    assert.ok(isWalError(err, 'ENOSPC'), String(err));
    let seq = -1;
    for (let i = 0; i < 50 && seq < 0; i++) {
      seq = await wal.append({ type: 'job_started', job_id: 'after', ts: NOW }).catch(() => -1);
      if (seq < 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.is(seq, next, 'appends go on, at the next seq');
    const s = await wal.stats();
    assert.is(s.failed, false);
    assert.ok(s.rotations >= 1);
    assert.ok((s.retention?.deletedSegments ?? 0) >= 3, JSON.stringify(s.retention));
  } finally {
    await wal.close();
  }
  assert.equal(temps(dir), []);
  assert.ok((await readSeqs(path)).includes(next));
});

test.run();
