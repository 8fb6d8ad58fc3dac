// Issue 7, item 5: the writer thread dies under its producers, three ways: (a) a throw from
// a timer inside it, (b) process.exit() inside it (from a seam call), (c) out of memory.
// Whatever was in flight rejects with EWORKER (those events may or may not be on disk, they
// were never acknowledged), the next append restarts the writer, which recovers from disk,
// and every acknowledged event is intact. Each case runs in its own process
// (fixtures/writer-death.js) because (c) needs a V8 heap limit.
//
// (c) The writer worker's options expose no `resourceLimits`, so the heap limit comes from
// `--max-old-space-size` on the whole process, which V8 applies to every isolate, the writer
// thread's included; Node then ends just that thread with ERR_WORKER_OUT_OF_MEMORY.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir, fixture, faultModule, runToEnd, report, readStrict, checkGapless } from './helpers.js';

interface DeathReport {
  before: number[];
  results: Array<{ id: string; seq?: number; code?: string }>;
  flush: string;
  flushSync: string;
  after: number;
  more: number[];
  /** Appends of after-0 that raced the death and rejected EWORKER before one restarted the writer. */
  raced: number;
}

async function die(how: 'timer' | 'exit' | 'oom', sync: boolean): Promise<{ rep: DeathReport; path: string; log: string }> {
  const dir = tmpDir();
  const path = join(dir, 'wal.jsonl');
  const log = join(dir, 'fault.log');
  // fdatasyncs 1-2 are before-0/1 and 3 the appendNoWait batch that flush() posts (what
  // flushSync waits for, in the sync case). A client keeps one batch in flight and fills the
  // next (issue 21), so the awaited appends go as the batch after that one: die at 4.
  const fault = faultModule('fault-die', { how, at: sync ? 3 : 4, hold: 100, marker: join(dir, 'fired'), log });
  const child = await runToEnd(fixture('writer-death'), [path, how, fault, sync ? '1' : '0'], {
    execArgv: how === 'oom' ? ['--max-old-space-size=64'] : [],
  });
  const line = child.lines.find((l) => l.startsWith('{'));
  assert.ok(line, `no report from the fixture; stderr:\n${child.stderr()}`);
  return { rep: JSON.parse(line!) as DeathReport, path, log };
}

/** Every resolved seq is that event's line; the file is gapless; `after` continues it. */
function checkFile(path: string, rep: DeathReport, name: string, extra: Record<string, number | string> = {}): void {
  const records = readStrict(path);
  checkGapless(records);
  assert.equal(rep.before, [0, 1]);
  for (const [i, seq] of rep.before.entries()) assert.is(records[seq]?.job_id, `before-${i}`, 'acked before the death: intact');
  for (const r of rep.results) if (r.seq !== undefined) assert.is(records[r.seq]?.job_id, r.id, `acked ${r.id} at ${r.seq}`);
  assert.is(records[rep.after]?.job_id, 'after-0');
  // A raced (rejected) after-0 was never acknowledged; if it reached the disk it is before this one.
  assert.is(rep.after, records.map((r) => r.job_id).lastIndexOf('after-0'));
  assert.equal(rep.more, Array.from({ length: 20 }, (_, i) => rep.after + 1 + i), 'the restarted writer continues the seq');
  assert.is(records.length, rep.after + 21, 'nothing after the last append');
  const rejected = rep.results.filter((r) => r.code !== undefined).length;
  report(`worker-death/${name}`, {
    in_flight: rep.results.length, acked: rep.results.length - rejected, rejected_EWORKER: rejected,
    unacked_on_disk: records.filter((r) => r.job_id.startsWith('p-') && rep.results.find((x) => x.id === r.job_id)?.code).length,
    lines: records.length, raced_appends: rep.raced, ...extra,
  });
}

for (const how of ['timer', 'exit', 'oom'] as const) {
  test(`writer thread dies (${how}): in-flight appends reject EWORKER, the next append restarts it, acked events intact`, async () => {
    // On a loaded machine the writer can take all 40 appends into the batch whose fdatasync
    // the fault holds, ack them, and only then die: nothing was in flight, so the death path
    // went untested. Such a run is still checked, then the scenario runs again.
    let run = await die(how, false);
    for (let attempt = 1; attempt < 4 && !run.rep.results.some((r) => r.code !== undefined); attempt++) {
      checkFile(run.path, run.rep, `${how}-nothing-in-flight`);
      run = await die(how, false);
    }
    const { rep, path, log } = run;
    assert.ok(readFileSync(log, 'utf8').includes(`die ${how}`), 'the fault fired');
    const codes = new Set(rep.results.filter((r) => r.code !== undefined).map((r) => r.code));
    assert.ok(codes.size > 0, 'some appends were in flight when the thread died (in 4 tries)');
    assert.equal([...codes], ['EWORKER'], 'in-flight appends reject with EWORKER only');
    assert.ok(rep.flush === 'EWORKER' || rep.flush === 'ok', `flush() of appendNoWait events settled with ${rep.flush}`);
    checkFile(path, rep, how);
  });
}

test('writer thread exits while the producer is blocked in flushSync: it wakes with EWORKER, the next append recovers', async () => {
  const { rep, path } = await die('exit', true);
  assert.is(rep.flushSync, 'EWORKER');
  checkFile(path, rep, 'exit-during-flushSync');
});

test.run();
