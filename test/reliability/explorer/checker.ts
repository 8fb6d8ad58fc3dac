// Crash-state explorer, step 4: opens one materialized state with the real code and checks
// the invariants (docs/RELIABILITY.md, "Crash-state explorer"). Runs in a worker thread
// (check-worker.ts): the writer's lock module must never load on a test's main thread.
//
// Opening: the writer thread's own code, in this thread: `Writer.open` (the lock, tail
// recovery, next seq, the WAL id) and one batch through its data port, acked after its
// write + fdatasync, then `close`. That is what openWal runs in the thread it spawns,
// without the ~50 ms thread start per state; `openWal` itself opens a sample of the states
// (`viaOpenWal`) and must agree.
import { MessageChannel } from 'node:worker_threads';
import { resolveWriterOptions, encodeBody, SAB_SLOTS, WalError, type WalRecord } from '@threadwal/core';
import { openWal } from '@threadwal/client';
import { readWal, verify, readCursor, commitCursor } from '@threadwal/maintenance';
import { FileCheckpoint } from '@threadwal/ship';
import type { Writer as WriterClass } from '@threadwal/core/writer/writer-core';
import { eventFor } from './events.js';
import type { Expectation } from './expect.js';

const { Writer } = (await import(new URL('../../../packages/core/dist/src/writer/writer-core.js', import.meta.url).href)) as { Writer: typeof WriterClass };

export interface Failure {
  cls: string;
  detail: string;
}

export interface CheckResult {
  failures: Failure[];
  /** The seq the append after recovery got, or null. */
  appended: number | null;
}

const code = (err: unknown): string => (err instanceof WalError ? err.code : (err as NodeJS.ErrnoException)?.code ?? 'Error');
const msg = (err: unknown): string => String((err as Error)?.message ?? err).slice(0, 300);
const content = (r: { type: unknown; job_id: unknown; ts?: unknown; output?: unknown }): string => JSON.stringify([r.type, r.job_id, r.ts, r.output]);
const within = <T>(p: Promise<T>, what: string, ms = 20_000): Promise<T> => {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, rej) => { t = setTimeout(() => rej(new Error(`hung: ${what}`)), ms); })]).finally(() => clearTimeout(t));
};

/** Writer.open + one acked batch + close: returns the seq the event got. */
async function appendDirect(path: string, jobId: string): Promise<number> {
  const w = await Writer.open(path, resolveWriterOptions({}));
  const { port1, port2 } = new MessageChannel();
  try {
    w.attach(port1, new SharedArrayBuffer(SAB_SLOTS * 4));
    const body = Buffer.from(encodeBody(eventFor(jobId), 1 << 20));
    const answer = new Promise<{ type: string; firstSeq?: number; error?: { code: string; message: string } }>((resolve) => {
      port2.on('message', (m: { type: string }) => { if (m.type === 'ack' || m.type === 'nack' || m.type === 'failed') resolve(m); });
    });
    const buf = body.buffer.slice(body.byteOffset, body.byteOffset + body.length);
    port2.postMessage({ type: 'batch', id: 1, buf, len: body.length, count: 1 }, [buf]);
    const m = await within(answer, 'the ack');
    if (m.type !== 'ack') throw new WalError((m.error?.code ?? 'EIO') as 'EIO', `append ${m.type}: ${m.error?.message ?? ''}`);
    return m.firstSeq!;
  } finally {
    await w.close();
    port2.close();
  }
}

async function appendOpenWal(path: string, jobId: string): Promise<number> {
  const wal = await openWal(path, { reportRecovery: false });
  try {
    return await wal.append(eventFor(jobId));
  } finally {
    await wal.close();
  }
}

/** Opens, appends and checks the state at `path` (a WAL whose directory holds nothing else). */
export async function checkState(path: string, exp: Expectation, viaOpenWal: boolean): Promise<CheckResult> {
  const failures: Failure[] = [];
  const fail = (cls: string, detail: string): void => void failures.push({ cls, detail });
  const jobId = 'after-crash-999999';
  let appended: number;
  try {
    appended = await within(viaOpenWal ? appendOpenWal(path, jobId) : appendDirect(path, jobId), 'open + append');
  } catch (err) {
    fail(`open-refused:${code(err)}`, msg(err));
    return { failures, appended: null };
  }
  if (appended <= exp.maxAcked) fail('seq-reused', `the append after recovery got seq ${appended}, but seq ${exp.maxAcked} was acked before the cut`);

  // Everything readWal yields; when it throws, what it yields skipping the bad lines (so a
  // lost acked event still shows beside the damage that stopped the plain read).
  let records: WalRecord[] = [];
  let readOk = true;
  try {
    for await (const r of readWal(path)) records.push(r);
  } catch (err) {
    readOk = false;
    fail(`readWal-throws:${code(err)}`, msg(err));
    records = [];
    try {
      for await (const r of readWal(path, { onCorrupt: 'skip' })) records.push(r);
    } catch (err2) {
      fail(`readWal-skip-throws:${code(err2)}`, msg(err2));
    }
  }
  const bySeq = new Map<number, WalRecord>();
  const ids = new Set<string>();
  let prev = -1;
  for (const r of records) {
    if (r.seq <= prev) fail('seq-order', `seq ${r.seq} after ${prev}`);
    prev = r.seq;
    if (ids.has(r.job_id) || bySeq.has(r.seq)) fail('event-twice', `${r.job_id} at seq ${r.seq} appears twice`);
    ids.add(r.job_id);
    bySeq.set(r.seq, r);
  }
  for (const [seq, id] of exp.required) {
    const r = bySeq.get(seq);
    if (!r) fail('acked-lost', `acked seq ${seq} (${id}) is missing`);
    else if (content(r) !== content(eventFor(id))) fail('acked-changed', `seq ${seq} holds ${r.job_id}, acked as ${id}`);
  }
  const mine = bySeq.get(appended);
  if (readOk && mine?.job_id !== jobId) fail('append-missing', `the event appended after recovery is not at seq ${appended}`);

  try {
    const v = await verify(path);
    if (!v.ok) {
      const c = v.counts;
      const what = (['badLines', 'gaps', 'duplicates', 'outOfOrder'] as const).filter((k) => c[k] > 0);
      fail(`verify-fails:${what.join('+')}`, JSON.stringify(c));
    }
  } catch (err) {
    fail(`verify-throws:${code(err)}`, msg(err));
  }

  for (const [name, committed] of exp.commits) {
    try {
      const stored = await readCursor(path, name);
      if (stored < committed) fail('cursor-moved-back', `cursor ${name} holds ${stored}, a commit of ${committed} had returned`);
      const next = Math.max(stored, appended);
      if ((await commitCursor(path, name, next)) !== next || (await readCursor(path, name)) !== next) fail('cursor-commit', `cursor ${name} did not take ${next}`);
    } catch (err) {
      fail(`cursor-unreadable:${code(err)}`, msg(err));
    }
  }
  for (const [name, acked] of exp.checkpoints) {
    const cp = new FileCheckpoint(path, name);
    const s = await cp.load();
    if (!s || s.ackedSeq < acked) fail('checkpoint-moved-back', `checkpoint ${name} holds ${s ? s.ackedSeq : 'nothing'}, a commit of ${acked} had returned`);
    try {
      // The shipper's local resume: read on from the checkpoint (the stream side is NATS's).
      let expect = (s?.ackedSeq ?? -1) + 1;
      for await (const r of readWal(path, { fromSeq: expect })) {
        if (r.seq !== expect && bySeq.has(expect)) fail('ship-resume', `resuming from ${expect} yielded ${r.seq}`);
        expect = r.seq + 1;
      }
      await cp.commit({ walId: s?.walId ?? 'x', stream: 'S', subject: 'wal.s', base: 0, ackedSeq: Math.max(appended, s?.ackedSeq ?? -1), ts: 0 });
    } catch (err) {
      fail(`ship-resume-throws:${code(err)}`, msg(err));
    }
  }
  return { failures, appended };
}
