// Shared by the ship tests: temp dirs, WAL writing, and the verification that the stream
// holds every WAL seq exactly once, in order, byte for byte.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { openWal } from '@threadwal/client';
import { readWal } from '@threadwal/maintenance';
import { HDR_ID, HDR_SEQ } from '../src/index.js';

export const FULL = process.env.THREADWAL_FULL === '1';
export function size(ci: number, full: number): number {
  return FULL ? full : ci;
}

export function report(name: string, counts: Record<string, number | string>): void {
  console.log(`[ship] ${name}: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}${FULL ? ' (full)' : ' (ci)'}`);
}

const dirs: string[] = [];
process.on('exit', () => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

export function tmpDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-ship-'));
  dirs.push(d);
  return d;
}

export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}

/** Appends `n` events (windows of 1000) and closes; returns the seqs. */
export async function appendEvents(path: string, n: number, from = 0): Promise<void> {
  const wal = await openWal(path);
  for (let i = 0; i < n; i += 1000) {
    const ps: Array<Promise<number>> = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) ps.push(wal.append({ type: 'job_started', job_id: `job-${from + j}`, n: from + j }));
    await Promise.all(ps);
  }
  await wal.close();
}

export interface StreamCheck {
  walEvents: number;
  streamMessages: number;
  duplicates: number;
  gaps: number;
  outOfOrder: number;
  mismatched: number;
  firstProblem: string | null;
}

/**
 * Reads the whole stream with an ordered JetStream consumer and compares it with the WAL:
 * stream seq i holds WAL seq base + i - 1 (header and msg id), its data is that record.
 */
export async function checkStream(servers: string | string[], stream: string, walPath: string): Promise<StreamCheck> {
  const wal: string[] = [];
  let base = -1;
  for await (const r of readWal(walPath)) {
    if (base < 0) base = r.seq;
    wal[r.seq - base] = JSON.stringify(r);
  }
  const nc = await connect({ servers, maxReconnectAttempts: -1 });
  const check: StreamCheck = { walEvents: wal.length, streamMessages: 0, duplicates: 0, gaps: 0, outOfOrder: 0, mismatched: 0, firstProblem: null };
  const problem = (s: string): void => { check.firstProblem ??= s; };
  try {
    // No account-info probe, and a few tries: right after a cluster node restarts, the API can time out for a while.
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 5000 });
    let info;
    for (let attempt = 0; ; attempt++) {
      try {
        info = await jsm.streams.info(stream);
        break;
      } catch (err) {
        if (attempt >= 10) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    check.streamMessages = info.state.messages;
    if (info.state.messages > 0) {
      const js = jetstream(nc);
      // Creating the consumer is a JetStream API call too: the same few tries as streams.info.
      let c;
      for (let attempt = 0; ; attempt++) {
        try {
          c = await js.consumers.get(stream, { opt_start_seq: 1, deliver_policy: 'by_start_sequence' as never });
          break;
        } catch (err) {
          if (attempt >= 10) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      const seen = new Set<number>();
      let expectedStreamSeq = 1;
      let prevWalSeq = -1;
      const msgs = await c.consume();
      const walId = (await jsm.streams.getMessage(stream, { seq: info.state.first_seq }))?.header?.get(HDR_ID);
      // A stalled read fails the test instead of hanging it.
      let lastMsgAt = Date.now();
      const guard = setInterval(() => { if (Date.now() - lastMsgAt > 20_000) { problem('the consumer stalled'); void msgs.close(); } }, 1000);
      for await (const m of msgs) {
        lastMsgAt = Date.now();
        const walSeq = Number(m.headers?.get(HDR_SEQ));
        if (m.seq !== expectedStreamSeq) { check.gaps += 1; problem(`stream seq ${m.seq} after ${expectedStreamSeq - 1}`); }
        expectedStreamSeq = m.seq + 1;
        if (seen.has(walSeq)) { check.duplicates += 1; problem(`WAL seq ${walSeq} twice`); }
        seen.add(walSeq);
        if (walSeq !== prevWalSeq + 1 && prevWalSeq >= 0) { if (walSeq > prevWalSeq + 1) { check.gaps += 1; problem(`WAL seq ${walSeq} after ${prevWalSeq}`); } else { check.outOfOrder += 1; problem(`WAL seq ${walSeq} after ${prevWalSeq}`); } }
        prevWalSeq = walSeq;
        if (m.seq !== walSeq - base + 1 || m.headers?.get('Nats-Msg-Id') !== `${walId}:${walSeq}` || m.string() !== wal[walSeq - base]) { check.mismatched += 1; problem(`stream seq ${m.seq} (WAL seq ${walSeq}) differs from the WAL`); }
        if (m.info.pending === 0) break;
      }
      clearInterval(guard);
      await msgs.close();
      if (seen.size < wal.length) { check.gaps += wal.length - seen.size; problem(`${wal.length - seen.size} WAL events missing from the stream`); }
    } else if (wal.length) {
      check.gaps += wal.length;
      problem('stream empty');
    }
  } finally {
    await nc.close();
  }
  return check;
}

/** The last seq in the WAL (-1 when empty). */
export async function lastWalSeq(path: string): Promise<number> {
  let last = -1;
  for await (const r of readWal(path)) last = r.seq;
  return last;
}

/** Waits until `cond()` holds (polling), or throws naming `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const CLEAN = { duplicates: 0, gaps: 0, outOfOrder: 0, mismatched: 0, firstProblem: null };

/** The parts of a StreamCheck that must be zero, plus whether the stream holds exactly the WAL. */
export function verdict(c: StreamCheck): Record<string, unknown> {
  return { duplicates: c.duplicates, gaps: c.gaps, outOfOrder: c.outOfOrder, mismatched: c.mismatched, firstProblem: c.firstProblem };
}
