// Issue 19, item 5: SIGKILL a writer whose automatic rotations compress (rotate.compress)
// and apply retention, at random moments: mid-append, mid-rotation, while its compress
// thread writes a temp copy, between putting the copy in place and retiring the plain
// segment. After every kill: each complete line on disk reads the same through the strict
// reader, readWal and verify; every acked event whose seq is not older than the oldest kept
// segment is there exactly once with its id; seqs are gapless; a `.gz` under a segment's
// name decompresses whole, and one beside its plain segment holds the same lines. After
// the last kill, the next compressing writer's open leaves nothing plain and no temp file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, existsSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { openWal } from '@threadwal/client';
import { rotatedIndexes, segmentPath } from '@threadwal/core';
import { readWal, verify, closePool } from '@threadwal/maintenance';
import { tmpDir, fixture, run, size, report, runSeed, prng, sleep, within } from './helpers.js';

const ROUNDS = size(8, 40);
const MAX_SEGMENTS = 6;
const OPTS = { rotate: { maxSizeBytes: 4 * 1024, compress: 'gzip' }, retention: { maxSegments: MAX_SEGMENTS }, lockStaleMs: 2000 };

interface Line {
  seq: number;
  id: string;
}

/** Complete lines of a plain file (a torn tail aside: only the active file may have one). */
function plainLines(file: string, active: boolean): Line[] {
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (!active) assert.is(end, text.length, `${file}: a rotated segment with a torn tail`);
  return text.slice(0, end).split('\n').filter(Boolean).map((l) => {
    const r = JSON.parse(l) as { seq: number; job_id: string };
    return { seq: r.seq, id: r.job_id };
  });
}

/** A compressed segment must decompress whole (gunzipSync throws on a partial member). */
function gzLines(file: string): Line[] {
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  assert.ok(text === '' || text.endsWith('\n'), `${file}: does not end with a newline`);
  return text.split('\n').filter(Boolean).map((l) => {
    const r = JSON.parse(l) as { seq: number; job_id: string };
    return { seq: r.seq, id: r.job_id };
  });
}

/** Every segment in reading order, as readers take it (the plain file of an index first); checks pairs agree. */
function onDisk(path: string): { lines: Line[]; pairs: number } {
  const lines: Line[] = [];
  let pairs = 0;
  for (const i of rotatedIndexes(path)) {
    const plain = segmentPath(path, i);
    const gz = `${plain}.gz`;
    if (existsSync(plain) && existsSync(gz)) {
      pairs += 1;
      assert.equal(gzLines(gz), plainLines(plain, false), `.${i}.gz beside .${i} differs`);
    }
    lines.push(...(existsSync(plain) ? plainLines(plain, false) : gzLines(gz)));
  }
  if (existsSync(path)) lines.push(...plainLines(path, true));
  return { lines, pairs };
}

const temps = (path: string): string[] => readdirSync(join(path, '..')).filter((n) => n.includes('.cleanup-'));

test(`rotate.compress: ${ROUNDS} SIGKILLs at random moments lose no acked event, leave no hole, and the next open leaves no temp`, async () => {
  const seed = runSeed('writer-compress-crash');
  const rand = prng(seed);
  const path = join(tmpDir(), 'wal.jsonl');
  const acked = new Map<number, string>();
  let leftTemps = 0;
  let pairs = 0;
  let gz = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const child = run(fixture('retention-writer'), [path, `r${round}`, JSON.stringify(OPTS)]);
    await child.waitLine((l) => l.startsWith('a '), `round ${round}: first ack`);
    await sleep(rand.int(0, 400));
    child.proc.kill('SIGKILL');
    const { signal } = await within(child.exited, `round ${round}: the child to die`);
    assert.is(signal, 'SIGKILL', `round ${round}: the child exited by itself: ${child.stderr()}`);
    assert.not.ok(child.stderr().includes('THREADWAL_COMPRESS_FAILED'), `round ${round}: ${child.stderr()}`);
    for (const line of child.lines) {
      const [kind, seq, id] = line.split(' ');
      if (kind === 'a') acked.set(Number(seq), id!);
    }
    const disk = onDisk(path);
    pairs += disk.pairs;
    leftTemps += temps(path).length;
    gz += rotatedIndexes(path).filter((i) => !existsSync(segmentPath(path, i))).length;
    const records = disk.lines;
    assert.ok(records.length > 0, `round ${round}: nothing on disk`);
    for (let i = 1; i < records.length; i++) assert.is(records[i]!.seq, records[i - 1]!.seq + 1, `round ${round}: hole after seq ${records[i - 1]!.seq}`);
    const first = records[0]!.seq;
    const bySeq = new Map(records.map((r) => [r.seq, r.id]));
    for (const [seq, id] of acked) {
      if (seq < first) continue; // retention deleted it
      assert.is(bySeq.get(seq), id, `round ${round}: acked seq ${seq} (${id}) lost or changed`);
    }
    // Readers see the same (readWal stops before a torn tail; verify counts every event once).
    const read: number[] = [];
    for await (const r of readWal(path)) read.push(r.seq);
    assert.equal(read, records.map((r) => r.seq), `round ${round}: readWal`);
    const v = await verify(path);
    assert.is(v.events, records.length, `round ${round}: verify counts`);
  }
  // The next compressing writer's open finishes what the kills left.
  const w = await openWal(path, OPTS as never);
  for (let i = 0; i < 1000 && (rotatedIndexes(path).some((i) => existsSync(segmentPath(path, i))) || temps(path).length > 0); i++) await sleep(10);
  const c = (await w.stats()).compression!;
  await w.close();
  assert.is(c.errors, 0);
  assert.equal(temps(path), [], 'temp files left after the next open');
  for (const i of rotatedIndexes(path)) assert.not.ok(existsSync(segmentPath(path, i)), `.${i} is still plain after the next open`);
  assert.ok((await verify(path)).ok);
  report('writer-compress-crash', { rounds: ROUNDS, acked: acked.size, compressed_segments_seen: gz, pairs_seen: pairs, temps_left_by_kills: leftTemps, seed });
});

/** Runs maintenance-op's wal-compress under crash-hook: an EIO at fs call k (0: none; the trace lists the calls). */
async function walCompress(dir: string, k: number, trace?: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const env: NodeJS.ProcessEnv = { THREADWAL_CRASH_DIR: dir, THREADWAL_CRASH_AT: String(k), THREADWAL_CRASH_WHEN: 'before', THREADWAL_CRASH_HOW: 'throw', THREADWAL_CRASH_ARM: join(dir, 'armed') };
  if (trace) env.THREADWAL_CRASH_TRACE = trace;
  const child = run(fixture('maintenance-op'), [join(dir, 'wal.jsonl'), 'wal-compress', join(dir, 'armed')], { env, execArgv: ['--import', fixture('crash-hook')] });
  const { code } = await within(child.exited, `wal-compress with an EIO at call ${k}`);
  return { code, lines: child.lines, stderr: child.stderr() };
}

test('an EIO while compressing (the temp copy, putting it in place, retiring the plain file) is a warning: appends go on, the segment stays readable, the next open compresses it', async () => {
  const tpl = tmpDir();
  const w = await openWal(join(tpl, 'wal.jsonl'));
  await Promise.all(Array.from({ length: 10 }, (_, i) => w.append({ type: 'job_started', job_id: `pre-${i}` })));
  await w.close();
  const dry = tmpDir();
  cpSync(tpl, dry, { recursive: true });
  await walCompress(dry, 0, join(dry, 'trace'));
  const steps = readFileSync(join(dry, 'trace'), 'utf8').trim().split('\n');
  const at = (re: RegExp): number => {
    const i = steps.findIndex((l) => re.test(l.split(' ').slice(1).join(' ')));
    assert.ok(i >= 0, `no call matching ${re} in:\n${steps.join('\n')}`);
    return i + 1;
  };
  const cases: Array<[string, number]> = [
    ['writing the temp copy (compress thread)', steps.findIndex((l, i) => /^\d+ writeSync/.test(l) && /^\d+ openSync .*\.cleanup-/.test(steps[i - 1] ?? '')) + 1],
    ['putting the copy in place (writer thread)', at(/^renameSync .*\.cleanup-.* -> wal\.jsonl\.1\.gz$/)],
    ['retiring the plain segment (writer thread)', at(/^renameSync wal\.jsonl\.1 -> .*\.cleanup-/)],
  ];
  for (const [what, k] of cases) {
    assert.ok(k > 0, `${what}: not found`);
    const dir = tmpDir();
    cpSync(tpl, dir, { recursive: true });
    const path = join(dir, 'wal.jsonl');
    const r = await walCompress(dir, k);
    assert.is(r.code, 0, `${what}: ${r.stderr}`);
    const res = JSON.parse(r.lines.find((l) => l.startsWith('{'))!) as { ok?: { errors: number; compressedSegments: number }; error?: string };
    assert.is(res.ok?.errors, 1, `${what}: ${JSON.stringify(res)}`);
    assert.is(res.ok?.compressedSegments, 0, `${what}: ${JSON.stringify(res)}`);
    assert.ok(r.stderr.includes('THREADWAL_COMPRESS_FAILED'), `${what}: no warning: ${r.stderr}`);
    assert.is(r.lines.filter((l) => l.startsWith('a ')).length, 5, `${what}: appends after the failure`);
    assert.ok(existsSync(segmentPath(path, 1)), `${what}: the plain segment is gone`);
    const before: number[] = [];
    for await (const rec of readWal(path)) before.push(rec.seq);
    assert.equal(before, Array.from({ length: 15 }, (_, i) => i), `${what}: readWal`);
    // The next compressing writer's open compresses it and leaves no temp.
    const next = await openWal(path, { rotate: { maxSizeBytes: 1e12, maxRotations: 5, compress: 'gzip' } });
    for (let i = 0; i < 1000 && (existsSync(segmentPath(path, 1)) || temps(path).length > 0); i++) await sleep(10);
    await next.close();
    assert.not.ok(existsSync(segmentPath(path, 1)), `${what}: still plain after the next open`);
    assert.equal(temps(path), [], `${what}: temps left`);
    const after: number[] = [];
    for await (const rec of readWal(path)) after.push(rec.seq);
    assert.equal(after, before, `${what}: readWal after the next open`);
  }
});

test.after(async () => {
  await closePool();
});

test.run();
