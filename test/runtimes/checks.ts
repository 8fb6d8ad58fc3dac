// What the runtime suite checks in the files a scenario left, read back on Node with the
// workspace's own packages (whatever runtime wrote them).
import * as assert from 'uvu/assert';
import { openWal } from '@threadwal/client';
import { readWal } from '@threadwal/maintenance';
import { checkGapless, fileRecords, type Result, type Started, type WalLine } from './runtimes.js';

/** Every record of the WAL at `path` (every segment, .gz included), oldest first. */
export async function readAll(path: string): Promise<WalLine[]> {
  const out: WalLine[] = [];
  for await (const r of readWal(path)) out.push(r as unknown as WalLine);
  return out;
}

/** A WAL of `n` events (job ids w-0 …), written on Node. */
export async function writeWal(path: string, n: number): Promise<void> {
  const wal = await openWal(path);
  for (let i = 0; i < n; i++) wal.appendNoWait({ type: 'job_started', job_id: `w-${i}` });
  await wal.close();
}

interface ThreadsReport {
  main: number;
  results: Array<{ k: number; acked: number; unique: number; statsOk: boolean; rotated: boolean }>;
  exitCodes: number[];
  events: number;
  orphanCode: string;
}

export function checkThreads(rep: ThreadsReport, records: WalLine[], owner: WalLine[]): void {
  assert.is(rep.main, 300);
  for (const w of rep.results) assert.equal({ acked: w.acked, unique: w.unique, statsOk: w.statsOk, rotated: w.rotated }, { acked: 300, unique: 300, statsOk: true, rotated: true }, `worker ${w.k}`);
  assert.equal(rep.exitCodes, [0, 0, 0]);
  // main 300; each full worker 300 + 50 + 50; the exit worker 200 (its exit hook's flush).
  checkGapless(records, 'threads.wal');
  assert.is(records.length, 300 + 2 * 400 + 200);
  assert.is(new Set(records.map((r) => r.job_id)).size, records.length, 'each event once');
  assert.is(records.filter((r) => r.job_id.startsWith('w2-exit-')).length, 200, "the worker that called process.exit() lost nothing");
  assert.is(rep.events, 1300, 'stats() before close: every thread counted');
  // The worker whose owner thread exited: ECLOSED, and again on the next call.
  assert.is(rep.orphanCode, 'ECLOSED ECLOSED');
  assert.equal(owner.map((r) => r.job_id).slice(0, 2).sort(), ['orphan-0', 'owner']);
}

/** `mode` ended with `code` and all `n` events are in the file, each once, in order. */
export async function checkExitFlush(mode: string, r: Result, code: number, path: string, n: number): Promise<void> {
  assert.is(r.code, code, `${mode}: exit code\n${r.stderr}`);
  const records = await readAll(path);
  assert.is(records.length, n, `${mode}: ${records.length} of ${n} events on disk\n${r.stderr}`);
  checkGapless(records, mode);
  records.forEach((rec, i) => assert.is(rec.job_id, `x-${i}`, `${mode}: event ${i}`));
}

export interface DeathReport {
  acked: Array<[number, string]>;
  codes: string[];
  syncMs: number | null;
  after: number;
  more: number[];
  closed: string;
}

/** Every acked event is its seq's line; what was rejected is EWORKER; the restarted writer goes on. */
export function checkDeath(name: string, rep: DeathReport, records: WalLine[], wait: string): void {
  checkGapless(records, name);
  for (const [seq, id] of rep.acked) assert.is(records[seq]?.job_id, id, `${name}: acked ${id} at ${seq}`);
  assert.ok(rep.codes.every((c) => c === 'EWORKER' || c === 'ok'), `${name}: ${rep.codes}`);
  if (wait === 'sync') assert.ok(rep.codes.length >= 1 && rep.codes[0] !== undefined, `${name}: flushSync returned or threw`);
  assert.ok(rep.after >= 2, `${name}: the restarted writer appended at ${rep.after}`);
  assert.equal(rep.more, Array.from({ length: 20 }, (_, i) => rep.after + 1 + i), `${name}: seqs go on after the restart`);
  assert.is(records.length, rep.after + 21, `${name}: nothing after the last append`);
  assert.ok(rep.closed === 'ok' || rep.closed === 'EWORKER', `${name}: close ${rep.closed}`);
}

export interface KillRound {
  /** Newest seq the killed process printed as acknowledged (-1: none). */
  acked: number;
  /** The seq its first event got (its job ids count from there). */
  first: number;
}

/** Starts the kill fixture, SIGKILLs it once `target` events past its first are acked. */
export async function killRound(begin: () => Started, target: number): Promise<KillRound> {
  const s = begin();
  const round: KillRound = { acked: -1, first: -1 };
  s.onLine((line) => {
    const m = /^acked (\d+) (\d+)$/.exec(line);
    if (!m) return;
    round.acked = Number(m[1]);
    round.first = Number(m[2]);
    if (round.acked - round.first >= target) s.child.kill('SIGKILL');
  });
  const r = await s.done;
  assert.is(r.signal, 'SIGKILL', `the appender was to be killed; it ended ${r.code}: ${r.stderr}`);
  assert.ok(round.acked >= round.first + target, `acks before the kill: ${round.acked}\n${r.stderr}`);
  return round;
}

/** After the kills: every acked event of every round is on disk, as its seq's line. */
export function checkKill(rounds: KillRound[], path: string): void {
  const records = fileRecords(path); // the last line may be torn
  checkGapless(records, 'kill.wal');
  for (const [i, k] of rounds.entries()) {
    for (let seq = k.first; seq <= k.acked; seq++) assert.is(records[seq]?.job_id, `k-${seq - k.first}`, `round ${i}: acked seq ${seq}`);
    if (i > 0) assert.ok(k.first > rounds[i - 1]!.acked, `round ${i} starts after round ${i - 1}'s acks`);
  }
}
