// Issue 7, item 7: the cross-process lock under abuse. A lock left by a SIGKILLed holder is
// taken over once stale; a writer paused (SIGSTOP) past the stale time while another
// process took over must not write after SIGCONT until it holds the lock again; eight
// processes taking the lock per batch all finish (no starvation).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir, fixture, run, within, report, size, sleep, readStrict, checkGapless, type Child } from './helpers.js';

const STALE_MS = 2000;
const agent = (path: string, opts: Record<string, unknown>): Child => run(fixture('wal-agent'), [path, JSON.stringify(opts)]);

/** `a <seq> <id>` lines of a child, as id -> seq. */
function acks(c: Child): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of c.lines) {
    if (!l.startsWith('a ')) continue;
    const [, seq, id] = l.split(' ');
    m.set(id!, Number(seq));
  }
  return m;
}

function rejections(c: Child): string[] {
  return c.lines.filter((l) => l.startsWith('x ')).map((l) => l.split(' ')[1]!);
}

async function closeAgent(c: Child): Promise<void> {
  c.send('close');
  await c.waitLine((l) => l === 'closed', 'the agent to close');
  const { code } = await within(c.exited, 'the agent to exit');
  assert.is(code, 0, `agent exit code; stderr:\n${c.stderr()}`);
}

function checkAcked(path: string, ...children: Child[]): ReturnType<typeof readStrict> {
  const records = readStrict(path);
  checkGapless(records);
  for (const c of children) {
    for (const [id, seq] of acks(c)) assert.is(records[seq]?.job_id, id, `acked ${id} is at seq ${seq}`);
  }
  return records;
}

for (const mode of ['exclusive', 'batch'] as const) {
  test(`a lock left by a SIGKILLed ${mode} writer is taken over (at once: its stamped pid is dead; else once stale, lockStaleMs ${STALE_MS})`, async () => {
    const path = join(tmpDir(), 'wal.jsonl');
    const a = agent(path, { lock: mode, lockStaleMs: STALE_MS });
    await a.waitLine((l) => l.startsWith('ready'), 'a to open');
    a.send('append 50 a');
    await a.waitLine((l) => l.startsWith('done a'), 'a to append');
    // In batch mode the lock is only held during a batch: hold it by streaming.
    if (mode === 'batch') a.send('stream s');
    if (mode === 'batch') await a.waitLine((l) => l.includes(' s-8'), 'a to stream');
    const killedAt = performance.now();
    a.proc.kill('SIGKILL');
    await within(a.exited, 'a to die');
    if (mode === 'exclusive') assert.ok(existsSync(`${path}.lock`), 'the dead holder left its lock dir');
    const leftLock = existsSync(`${path}.lock`);

    const b = agent(path, { lock: mode, lockStaleMs: STALE_MS, lockTimeoutMs: 30_000 });
    await b.waitLine((l) => l.startsWith('ready'), 'b to take over the stale lock');
    const tookMs = performance.now() - killedAt;
    b.send('append 50 b');
    await b.waitLine((l) => l.startsWith('done b'), 'b to append');
    assert.equal(rejections(b), []);
    await closeAgent(b);
    const records = checkAcked(path, a, b);
    assert.is(records.filter((r) => r.job_id.startsWith('b-')).length, 50);
    report(`locks/stale-takeover-${mode}`, { stale_ms: STALE_MS, lock_left_by_kill: String(leftLock), takeover_after_kill_ms: Math.round(tookMs), events: records.length });
  });
}

const PAUSE_ROUNDS = size(1, 3);

for (const mode of ['exclusive', 'batch'] as const) {
  test(`a ${mode} writer SIGSTOPped past the stale time does not write after SIGCONT without the lock (${PAUSE_ROUNDS} round${PAUSE_ROUNDS > 1 ? 's' : ''})`, async () => {
    let elocked = 0;
    let events = 0;
    for (let round = 0; round < PAUSE_ROUNDS; round++) {
      const path = join(tmpDir(), 'wal.jsonl');
      const a = agent(path, { lock: mode, lockStaleMs: STALE_MS, lockTimeoutMs: 2000 });
      await a.waitLine((l) => l.startsWith('ready'), 'a to open');
      a.send('stream a');
      await a.waitLine((l) => l.includes(` a-${8 * (5 + round * 7)}`), 'a to stream');
      a.proc.kill('SIGSTOP');

      // b takes over (after the stale time if a was paused holding the lock) and holds it.
      const b = agent(path, { lock: 'exclusive', lockStaleMs: STALE_MS });
      try {
        await b.waitLine((l) => l.startsWith('ready'), 'b to take the lock');
        b.send('append 40 b1');
        await b.waitLine((l) => l.startsWith('done b1'), 'b to append');
      } finally {
        a.proc.kill('SIGCONT');
      }
      // a wakes up: it must see that the lock is gone and wait for it, failing with ELOCKED.
      await a.waitLine((l) => l.startsWith('x '), 'a to notice it lost the lock');
      b.send('append 40 b2');
      await b.waitLine((l) => l.startsWith('done b2'), 'b to append again');
      await closeAgent(b);

      // b is gone: a takes the lock again and continues the seq after b's events.
      const seen = a.lines.length;
      await a.waitLine((l) => l.startsWith('a ') && a.lines.indexOf(l) >= seen, 'a to append again');
      a.send('halt');
      await a.waitLine((l) => l === 'halted', 'a to halt');
      await closeAgent(a);

      const records = checkAcked(path, a, b);
      const codes = new Set(rejections(a));
      assert.ok(codes.size > 0, 'a had appends rejected while b held the lock');
      assert.equal([...codes], ['ELOCKED'], 'a rejected with ELOCKED only');
      assert.equal(rejections(b), []);
      // While b held the lock (its first event to its last), no line of a's.
      const first = records.findIndex((r) => r.job_id === 'b1-0');
      const last = records.findIndex((r) => r.job_id === 'b2-39');
      const intruders = records.slice(first, last + 1).filter((r) => !r.job_id.startsWith('b'));
      assert.equal(intruders.map((r) => `${r.seq}:${r.job_id}`), [], 'a wrote while b held the lock');
      const aAfter = [...acks(a)].filter(([, seq]) => seq > last);
      assert.ok(aAfter.length > 0, "a's appends after b closed were acknowledged");
      elocked += rejections(a).length;
      events += records.length;
    }
    report(`locks/sigstop-${mode}`, { rounds: PAUSE_ROUNDS, stale_ms: STALE_MS, elocked_while_paused_writer_lost_lock: elocked, events });
  });
}

const PROCS = 8;
const PER_PROC = size(300, 2000);

test(`${PROCS} processes contending with the lock per batch all finish (${PER_PROC} events each)`, async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const agents = Array.from({ length: PROCS }, () => agent(path, { lock: 'batch' }));
  await Promise.all(agents.map((c, i) => c.waitLine((l) => l.startsWith('ready'), `agent ${i} to open`)));
  const t0 = performance.now();
  const finished: number[] = Array.from({ length: PROCS }, () => 0);
  agents.forEach((c, i) => c.send(`append ${PER_PROC} p${i}`));
  const elapsed = await Promise.all(agents.map(async (c, i) => {
    const done = await within(c.waitLine((l) => l.startsWith(`done p${i} `), `agent ${i} to finish`), `agent ${i}`, 180_000);
    finished[i] = performance.now() - t0;
    return Number(done.split(' ')[2]);
  }));
  await Promise.all(agents.map(closeAgent));
  for (const c of agents) assert.equal(rejections(c), [], 'no append was rejected (no ELOCKED: nobody starved)');
  const records = checkAcked(path, ...agents);
  assert.is(records.length, PROCS * PER_PROC);
  // How interleaved the file is: the number of times the writing process changes.
  let switches = 0;
  for (let i = 1; i < records.length; i++) if (records[i]!.job_id.split('-')[0] !== records[i - 1]!.job_id.split('-')[0]) switches += 1;
  const rates = elapsed.map((ms) => Math.round((PER_PROC / ms) * 1000));
  console.log(`[reliability] locks/contention: per-process completion ms: ${finished.map((x) => Math.round(x)).join(' ')}`);
  console.log(`[reliability] locks/contention: per-process events/s: ${rates.join(' ')}`);
  report('locks/contention', {
    processes: PROCS, events_each: PER_PROC, events: records.length,
    completion_ms_min: Math.round(Math.min(...finished)), completion_ms_max: Math.round(Math.max(...finished)),
    spread_max_over_min: (Math.max(...finished) / Math.min(...finished)).toFixed(2),
    writer_switches: switches,
  });
});

test.run();
