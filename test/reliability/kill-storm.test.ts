// Issue 7, item 1: SIGKILL a producer at random moments, round after round on the same
// WAL. Whatever the moment (opening, recovering, mid-write, mid-fdatasync, idle), every
// event the producer saw acknowledged must be on disk exactly once, seqs stay gapless from
// 0 in file order, and after recovery no torn line remains.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync, rmSync, appendFileSync, openSync, closeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { parseLine, recoverTail } from '@threadwal/core';
import { tmpDir, fixture, run, size, report, runSeed, prng, sleep, readStrict, checkGapless, within } from './helpers.js';

const ROUNDS = size(10, 50);

/**
 * What a crash mid-write can leave that a SIGKILL on this kernel rarely does (a write(2) is
 * seldom cut short): a prefix of the next line, a whole line without its newline, or
 * blocks of zeros whose size reached disk before their data.
 */
function simulateTornWrite(path: string, nextSeq: number, rand: ReturnType<typeof prng>, round: number): void {
  const line = `{"seq":${nextSeq},"ts":1715800000,"type":"job_started","job_id":"torn-r${round}","output":"ü€😀 partial"}`;
  const kind = rand.int(0, 2);
  if (kind === 0) appendFileSync(path, Buffer.from(line).subarray(0, rand.int(1, Buffer.byteLength(line) - 1)));
  else if (kind === 1) appendFileSync(path, line);
  else appendFileSync(path, Buffer.alloc(rand.pick([512, 4096, 8192])));
}

/** Lines of the file before recovery: every complete line must parse; returns the torn remainder's length. */
function checkRaw(path: string): { lines: number; torn: number } {
  if (!existsSync(path)) return { lines: 0, torn: 0 };
  const buf = readFileSync(path);
  const end = buf.lastIndexOf(0x0a) + 1;
  let lines = 0;
  for (let start = 0; start < end;) {
    const nl = buf.indexOf(0x0a, start);
    parseLine(buf.toString('utf8', start, nl), { file: path, offset: start }); // throws ECORRUPT
    lines += 1;
    start = nl + 1;
  }
  return { lines, torn: buf.length - end };
}

test(`kill storm: ${ROUNDS} rounds of SIGKILL at random moments lose no acked event`, async () => {
  const seed = runSeed('kill-storm');
  const rand = prng(seed);
  const path = join(tmpDir(), 'storm', 'wal.jsonl');
  const acked = new Map<string, number>(); // job_id -> seq (-1: acked by flush(), seq unknown)
  let tornRounds = 0;
  let earlyKills = 0;
  let staleTakeovers = 0;
  let simulatedTorn = 0;
  let parentRecoveries = 0;
  let leftTorn = false; // a simulated torn tail left for the next child to recover
  let lastCount = 0;

  for (let round = 0; round < ROUNDS; round++) {
    const threads = round % 2 === 1 ? '1' : '0';
    const child = run(fixture('kill-storm-child'), [path, `r${round}`, threads, String(seed + round * 7919)]);
    let early = false;
    if (rand.next() < 0.2) {
      // Anywhere from spawning to the first acks: opening, recovering the previous round's tail.
      early = true;
      await sleep(rand.int(0, 150));
    } else {
      await child.waitLine((l) => l.startsWith('a ') || l.startsWith('f '), `round ${round}: first ack`);
      await sleep(rand.int(0, 80));
    }
    child.proc.kill('SIGKILL');
    const { signal, code } = await within(child.exited, `round ${round}: the child to die`);
    assert.is(signal, 'SIGKILL', `round ${round}: the child exited by itself (${code}): ${child.stderr()}`);
    if (early) earlyKills += 1;

    for (const line of child.lines) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'a') acked.set(b!, Number(a));
      else if (kind === 'f') acked.set(a!, -1);
    }

    let raw = checkRaw(path);
    if (raw.torn > 0 && !leftTorn) tornRounds += 1;
    leftTorn = false;
    assert.ok(raw.lines >= lastCount, `round ${round}: the file lost lines (${raw.lines} < ${lastCount})`);
    if (raw.torn === 0 && existsSync(path) && rand.next() < 0.4) {
      simulateTornWrite(path, raw.lines, rand, round);
      simulatedTorn += 1;
      raw = checkRaw(path);
      leftTorn = true;
    }

    // What recovery will keep (core's recoverTail, read-only): exactly the complete lines.
    if (existsSync(path)) {
      const fd = openSync(path, constants.O_RDONLY);
      try {
        const tail = recoverTail(fd, path, { truncate: false });
        assert.is(tail.tornBytes, raw.torn, `round ${round}: recoverTail would cut a different tail`);
        assert.is(tail.lastSeq, raw.lines - 1, `round ${round}: recoverTail's last seq`);
      } finally {
        closeSync(fd);
      }
    }

    // The dead child's lock dir usually remains. Mostly clear it (we know its holder is dead);
    // every fourth round leave it, so the recovery below takes it over as stale.
    const lockDir = `${path}.lock`;
    if (existsSync(lockDir)) {
      if (round % 4 === 3) staleTakeovers += 1;
      else rmSync(lockDir, { recursive: true, force: true });
    }

    // Recover through the public API, then the file must be whole lines only. Every other
    // round leaves the recovery (and a torn tail) to the next child, so kills also land while
    // the writer is recovering; there only the whole-line part is checked.
    let records;
    if (round % 2 === 0 || round === ROUNDS - 1) {
      const wal = await within(openWal(path, { lockStaleMs: 2000 }), `round ${round}: openWal after the kill`);
      const nextSeq = wal.nextSeq();
      await wal.close();
      records = readStrict(path);
      assert.is(records.length, raw.lines, `round ${round}: recovery dropped complete lines`);
      assert.is(nextSeq, records.length, `round ${round}: nextSeq after recovery`);
      parentRecoveries += 1;
      leftTorn = false;
    } else {
      const buf = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
      const whole = buf.subarray(0, buf.lastIndexOf(0x0a) + 1);
      records = whole.length === 0 ? [] : whole.toString('utf8').slice(0, -1).split('\n').map((l) => parseLine(l));
    }
    checkGapless(records);
    assert.not.ok(records.some((r) => r.job_id.startsWith('torn-')), `round ${round}: a torn line survived recovery`);
    const bySeq = new Map(records.map((r) => [r.job_id, r.seq]));
    for (const [id, seq] of acked) {
      const found = bySeq.get(id);
      assert.ok(found !== undefined, `round ${round}: acked event ${id} (seq ${seq}) is missing`);
      if (seq >= 0) assert.is(found, seq, `round ${round}: acked event ${id} moved`);
    }
    lastCount = records.length;
  }

  assert.ok(acked.size > 0, 'no event was ever acknowledged');
  report('kill-storm', { rounds: ROUNDS, events_on_disk: lastCount, acked: acked.size, torn_by_kill: tornRounds, torn_simulated: simulatedTorn, parent_recoveries: parentRecoveries, kills_before_first_ack: earlyKills, stale_lock_takeovers: staleTakeovers });
});

test.run();
