// Shared by the ship tests: temp dirs, WAL writing, and the verification that the stream
// holds every WAL seq exactly once, in order, byte for byte.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWal } from '@threadwal/client';
import { readWal } from '@threadwal/maintenance';
import { readStream, isShipError, type ReadStreamOptions, type ShipError } from '../src/index.js';

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
  /** Events read back from the stream (each WAL seq once: overlaps are counted in `duplicates`). */
  streamEvents: number;
  /** Messages in the stream (events, or batches of them). */
  streamMessages: number;
  duplicates: number;
  gaps: number;
  outOfOrder: number;
  mismatched: number;
  firstProblem: string | null;
}

/**
 * Reads the whole stream back with readStream (an ordered consumer) and compares it with the
 * WAL: every WAL seq once, in order, byte for byte as stored. Duplicates are the WAL seqs
 * the reader met again in an overlapping message; a hole is a gap.
 */
export async function checkStream(servers: string | string[], stream: string, walPath: string, conn: Pick<ReadStreamOptions, 'auth' | 'tls'> = {}): Promise<StreamCheck> {
  const wal: Buffer[] = [];
  let base = -1;
  for await (const r of readWal(walPath, { raw: true })) {
    if (base < 0) base = r.seq;
    wal[r.seq - base] = Buffer.from(r.line);
  }
  // Right after a cluster node restarts the API can time out for a while: a few tries.
  for (let attempt = 0; ; attempt++) {
    try {
      return await readBack(servers, stream, wal, base, conn);
    } catch (err) {
      if (attempt >= 10 || isShipError(err)) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function readBack(servers: string | string[], stream: string, wal: Buffer[], base: number, conn: Pick<ReadStreamOptions, 'auth' | 'tls'>): Promise<StreamCheck> {
  const check: StreamCheck = { walEvents: wal.length, streamEvents: 0, streamMessages: 0, duplicates: 0, gaps: 0, outOfOrder: 0, mismatched: 0, firstProblem: null };
  const problem = (s: string): void => { check.firstProblem ??= s; };
  const ac = new AbortController();
  // A stalled read fails the test instead of hanging it.
  let lastAt = Date.now();
  const guard = setInterval(() => { if (Date.now() - lastAt > 20_000) { problem('the consumer stalled'); ac.abort(); } }, 1000);
  const reader = readStream({ ...conn, servers, stream, raw: true, signal: ac.signal, connectOptions: { maxReconnectAttempts: -1 } });
  let prev = base - 1;
  try {
    for await (const l of reader) {
      lastAt = Date.now();
      check.streamEvents += 1;
      if (l.seq < base) { prev = l.seq; continue; } // retention deleted it from the WAL since
      if (l.seq > prev + 1) { check.gaps += 1; problem(`WAL seq ${l.seq} after ${prev}`); } else if (l.seq <= prev) { check.outOfOrder += 1; problem(`WAL seq ${l.seq} after ${prev}`); }
      prev = l.seq;
      const want = wal[l.seq - base];
      if (want === undefined || !want.equals(l.line)) { check.mismatched += 1; problem(`WAL seq ${l.seq} (stream seq ${l.streamSeq}) differs from the WAL`); }
    }
  } catch (err) {
    if (!isShipError(err, 'gap')) throw err;
    check.gaps += 1;
    problem(err.message);
  } finally {
    clearInterval(guard);
  }
  check.duplicates = reader.duplicates;
  if (reader.duplicates > 0) problem(`${reader.duplicates} WAL seqs twice`);
  check.streamMessages = reader.messages;
  if (prev < base + wal.length - 1 && check.gaps === 0) { check.gaps += base + wal.length - 1 - prev; problem(`${base + wal.length - 1 - prev} WAL events missing from the stream`); }
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

/** The ship tests' two modes: batches (the default) and one event per message. THREADWAL_SHIP_MODE picks one. */
export const MODES: Array<{ name: string; batch: { maxEvents: number } | undefined }> = [
  { name: 'batched', batch: undefined },
  { name: 'one-per-message', batch: { maxEvents: 1 } },
].filter((m) => !process.env.THREADWAL_SHIP_MODE || process.env.THREADWAL_SHIP_MODE === m.name);

/** The ShipError `p` rejects with (anything else is rethrown; resolving fails the test). */
export async function shipFailure(p: Promise<unknown>): Promise<ShipError> {
  try {
    await p;
  } catch (err) {
    if (isShipError(err)) return err;
    throw err;
  }
  throw new Error('expected a ShipError');
}
