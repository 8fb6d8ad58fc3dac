// Real processes: three appenders (through @threadwal/client), one process rotating every
// 50 ms and one running cleanup back to back, all on one path, while this process follows
// the log. Afterwards the log verifies clean and every acknowledged seq is there exactly
// once, except those cleanup removed, which are all older than its cutoff.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { verify, readWal, closePool } from '../src/index.js';
import { tempWal, fixture, runNode } from './helpers.js';
import type { CleanupResult, RotateResult } from '../src/index.js';

const MAX_AGE_SECS = 1;
/** Run at least this long (so whole segments age past the cutoff), then until enough happened, at most MAX_RUN_MS. */
const MIN_RUN_MS = 4_000;
const MAX_RUN_MS = 10_000;
const WANT_ROTATIONS = 10;
const WANT_REMOVING_CLEANUPS = 3;

test('3 appenders + rotate every 50 ms + cleanup in a loop: verify clean, every acked seq once', async () => {
  const path = tempWal();
  const stop = join(dirname(path), 'stop');
  const ac = new AbortController();
  const followed: number[] = [];
  const following = (async () => {
    for await (const r of readWal(path, { follow: true, signal: ac.signal, pollMs: 20 })) followed.push(r.seq);
  })();
  try {
    let rotations = 0;
    let removing = 0;
    const started = Date.now();
    const ticker = setInterval(() => {
      const ran = Date.now() - started;
      if ((ran >= MIN_RUN_MS && rotations >= WANT_ROTATIONS && removing >= WANT_REMOVING_CLEANUPS) || ran >= MAX_RUN_MS) writeFileSync(stop, '');
    }, 50);
    const kill = MAX_RUN_MS + 30_000;
    const [a, b, c, rot, cln] = await Promise.all([
      runNode(fixture('appender.mjs'), [path, 'a', stop], kill),
      runNode(fixture('appender.mjs'), [path, 'b', stop], kill),
      runNode(fixture('appender.mjs'), [path, 'c', stop], kill),
      runNode(fixture('rotator.mjs'), [path, stop], kill, (l) => { if ((JSON.parse(l) as RotateResult).rotated) rotations += 1; }),
      runNode(fixture('cleaner.mjs'), [path, stop, String(MAX_AGE_SECS)], kill, (l) => { if ((JSON.parse(l) as CleanupResult).removed > 0) removing += 1; }),
    ]).finally(() => clearInterval(ticker));
    for (const r of [a, b, c, rot, cln]) assert.is(r.code, 0, r.stderr || `signal ${r.signal}`);

    const acked = new Map<number, number>(); // seq -> ts
    for (const r of [a, b, c]) {
      for (const l of r.stdout.split('\n').filter(Boolean)) {
        const [seq, ts] = l.split(' ').map(Number) as [number, number];
        assert.not.ok(acked.has(seq), `seq ${seq} acknowledged twice`);
        acked.set(seq, ts);
      }
    }
    const cleanups = cln.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CleanupResult);
    assert.ok(rotations > 0, 'no rotation happened');
    assert.ok(removing > 0, 'cleanup never removed anything');
    const cutoff = Math.max(...cleanups.map((r) => r.cutoff));

    const report = await verify(path);
    assert.ok(report.ok, JSON.stringify({ counts: report.counts, gaps: report.gaps.slice(0, 3), bad: report.badLines.slice(0, 3) }));
    assert.is(report.tornTailBytes, 0);

    const present: number[] = [];
    for await (const r of readWal(path)) present.push(r.seq);
    const maxAcked = Math.max(...acked.keys());
    assert.is(acked.size, maxAcked + 1, 'acked seqs are not 0..max');
    const first = present[0] ?? maxAcked + 1;
    // What is left is exactly the acked seqs from `first` on, once each, in order.
    assert.equal(present, Array.from({ length: maxAcked + 1 - first }, (_, i) => first + i));
    // What is gone was removed by cleanup, and is older than its cutoff.
    for (let s = 0; s < first; s++) assert.ok(acked.get(s)! < cutoff, `seq ${s} (ts ${acked.get(s)}) removed but not older than ${cutoff}`);
    assert.is(report.lastSeq, maxAcked);
    if (process.env.THREADWAL_VERBOSE) {
      console.log({
        ms: Date.now() - started, acked: acked.size, first, rotations, cleanups: cleanups.length, removing,
        removed: cleanups.reduce((n, r) => n + r.removed, 0), deleted: cleanups.reduce((n, r) => n + r.deletedSegments, 0),
        rewritten: cleanups.reduce((n, r) => n + r.rewrittenSegments, 0), segments: report.segments.length,
      });
    }

    // The follower saw every event once, in order, across every rotation and cleanup.
    for (let waited = 0; (followed.at(-1) ?? -1) < maxAcked && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    await following;
    assert.equal(followed, Array.from({ length: maxAcked + 1 }, (_, i) => i));
  } finally {
    ac.abort();
    await following.catch(() => undefined);
    await closePool();
  }
});

test.run();
