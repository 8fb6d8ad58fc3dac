// Issue 7, item 6: leaving abruptly loses nothing that was acknowledged or posted.
// process.exit() right after 10,000 appendNoWait (main thread, and a worker thread holding
// a connectWal client), an uncaught exception, an unhandled rejection: the exit flush
// (flushSync from the 'exit' hook) must put every event on disk first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { tmpDir, fixture, run, within, report, size, readStrict, checkGapless } from './helpers.js';

const N = size(10_000, 50_000);

async function leave(how: string, expectCode: number): Promise<{ path: string; lines: string[] }> {
  const path = join(tmpDir(), 'wal.jsonl');
  const child = run(fixture('exit-after-appends'), [path, String(N), how]);
  const { code, signal } = await within(child.exited, `${how} to exit`, 120_000);
  assert.is(code, expectCode, `${how}: exit code ${code ?? signal}; stderr:\n${child.stderr()}`);
  assert.not.match(child.stderr(), /may not be durable at exit/, 'the exit flush reported a failure');
  return { path, lines: child.lines };
}

/** All `n` events with ids `${prefix}${i}` (or the a-/n- halves) are on disk once, gapless. */
function checkAll(path: string, ids: (i: number) => string): number {
  const records = readStrict(path);
  checkGapless(records);
  const have = new Set(records.map((r) => r.job_id));
  const missing: string[] = [];
  for (let i = 0; i < N; i++) if (!have.has(ids(i))) missing.push(ids(i));
  assert.is(missing.length, 0, `${missing.length} of ${N} events missing after exit (first: ${missing.slice(0, 3).join(', ')})`);
  assert.is(records.length, N);
  return records.length;
}

for (const how of ['main-exit', 'worker-exit', 'worker-exit-main-exit'] as const) {
  test(`process.exit() right after ${N} appendNoWait (${how}): all on disk`, async () => {
    const { path, lines } = await leave(how, 0);
    if (how !== 'main-exit') assert.ok(lines.includes('worker-exit 0'), 'the worker ended through process.exit(0)');
    const prefix = how === 'main-exit' ? 'm-' : 'w-';
    const n = checkAll(path, (i) => `${prefix}${i}`);
    report(`exit-safety/${how}`, { events: N, on_disk: n });
  });
}

for (const how of ['uncaught', 'unhandled', 'worker-uncaught'] as const) {
  test(`${how} ${how === 'unhandled' ? 'rejection' : 'exception'} after appends: every acknowledged (and every posted) event on disk`, async () => {
    const { path, lines } = await leave(how, how === 'worker-uncaught' ? 0 : 1);
    const prefix = how === 'worker-uncaught' ? 'w' : 'm';
    const records = readStrict(path);
    const acks = lines.filter((l) => l.startsWith('a ')).map((l) => l.split(' '));
    assert.is(acks.length, Math.floor(N / 2), 'every awaited append was acknowledged before the throw');
    for (const [, seq, id] of acks) assert.is(records[Number(seq)]?.job_id, id, `acknowledged ${id} at ${seq}`);
    // The contract goes further: posted appendNoWait events are flushed at exit too.
    const n = checkAll(path, (i) => (i < Math.floor(N / 2) ? `${prefix}a-${i}` : `${prefix}n-${i}`));
    report(`exit-safety/${how}`, { events: N, acknowledged: acks.length, on_disk: n });
  });
}

test.run();
