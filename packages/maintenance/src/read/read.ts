// readWal(): the records of every segment in reading order (`.N … .1`, then `{path}`), on
// the caller's thread with async chunked reads. Segments are opened together up front
// (snapshot.ts), so a rotation while reading changes nothing. Following, the reader polls
// the active file; when `{path}` names another inode (rotated, or replaced by cleanup) it
// reads the old file to its end, which is final once renamed (writers only append under
// the lock, after checking dev+ino), then opens the segments again and continues after the
// last seq it yielded.
import { statSync, fstatSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { WalError, peekSeq, walExists, type WalRecord } from '@threadwal/core';
import { openSegments, closeSegments, type SegmentFile } from './snapshot.js';
import { ParsedCursor } from './parsed-cursor.js';
import { readSegment } from './segment-cursor.js';
import type { ReadState, SkippedRun } from './read-state.js';
import { RawCursor, type RawChunk, type RawRecord } from './raw-cursor.js';
import { rawRecords } from './raw-records.js';
import { parseGzipMeta } from '@threadwal/core';
import { checkNonNegativeInt, checkObject, checkPath, checkSignal, DEFAULT_POLL_MS } from '../options.js';
import { walTarget } from '../wal-target.js';
import { commitCursor, readCursor } from '../cursors/cursors.js';
import { checkCursorName } from '@threadwal/core';
import type { ReadOptions } from '../types.js';

const TAIL_BYTES = 64 * 1024;
const NL = 0x0a;

/** An async iterator of records that also counts what it skipped. */
export interface WalReader<T extends string = string> extends AsyncIterableIterator<WalRecord<T>>, ReaderState {}

/** readWal's raw modes: stored lines ({ raw: true }) or chunks of them ({ raw: 'chunks' }), never parsed (see raw-cursor.ts). */
export interface RawWalReader<I = RawRecord> extends AsyncIterableIterator<I>, ReaderState {}

/** What every reader says besides its items. */
export interface ReaderState {
  /** Bad lines skipped so far (with `onCorrupt: 'skip'`). */
  readonly skipped: number;
  /** Where they were: runs of consecutive bad lines, in reading order (the first 100 runs). */
  readonly skips: readonly SkippedRun[];
  /** Bytes of the active file's torn tail left unread. */
  readonly tornBytes: number;
  /**
   * With `options.cursor`: durably records that everything up to `seq` (default: the last
   * record yielded) is consumed, so the next `readWal(path, { cursor })` resumes after it.
   * Rejects with EINVAL past what this reader yielded; a lower seq than the stored one
   * leaves the cursor where it is. Resolves with the stored seq.
   */
  commit(seq?: number): Promise<number>;
}

/**
 * Reads the records of `path` in seq order across its segments; with `follow`, keeps reading
 * new ones until `signal` aborts. The first `next()` rejects with WalError ENOENT when no
 * part of the log exists (no file, no rotated segment, no `.meta`); with `follow` it waits
 * for the log to appear instead, as `tail -F` does. With `raw: true` it yields the stored
 * lines (`{ seq, line }`) and with `raw: 'chunks'` runs of them, never parsed (raw-cursor.ts).
 */
export function readWal(path: string, options: ReadOptions & { raw: true }): RawWalReader<RawRecord>;
export function readWal(path: string, options: ReadOptions & { raw: 'chunks' }): RawWalReader<RawChunk>;
export function readWal<T extends string = string>(path: string, options?: ReadOptions & { raw?: false | undefined }): WalReader<T>;
export function readWal(path: string, options: ReadOptions = {}): WalReader | RawWalReader<RawRecord> | RawWalReader<RawChunk> {
  checkPath(path);
  checkObject(options);
  const fromSeq = checkNonNegativeInt(options.fromSeq ?? 0, 'options.fromSeq');
  const follow = options.follow ?? false;
  if (typeof follow !== 'boolean') throw new WalError('EINVAL', `options.follow must be a boolean, got ${String(follow)}`);
  checkSignal(options.signal, 'options.signal');
  const onCorrupt = options.onCorrupt ?? 'throw';
  if (onCorrupt !== 'throw' && onCorrupt !== 'skip') throw new WalError('EINVAL', `options.onCorrupt must be 'throw' or 'skip', got ${String(onCorrupt)}`);
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  if (typeof pollMs !== 'number' || !Number.isSafeInteger(pollMs) || pollMs <= 0) throw new WalError('EINVAL', `options.pollMs must be a positive integer, got ${String(pollMs)}`);
  const cursor = options.cursor === undefined ? undefined : checkCursorName(options.cursor, 'options.cursor');
  const keepLines = options.keepLines ?? false;
  if (typeof keepLines !== 'boolean') throw new WalError('EINVAL', `options.keepLines must be a boolean, got ${String(keepLines)}`);
  const raw = options.raw ?? false;
  if (raw !== false && raw !== true && raw !== 'chunks') throw new WalError('EINVAL', `options.raw must be a boolean or 'chunks', got ${String(raw)}`);
  const st: ReadState = { fromSeq, lastSeq: -1, yielded: -1, onCorrupt, skipped: 0, skips: [], tornBytes: 0, keepLines };
  const gen = raw === false ? records(path, st, follow, options.signal, pollMs, cursor, PARSED)
    : raw === 'chunks' ? records(path, st, follow, options.signal, pollMs, cursor, CHUNKS)
      : rawRecords(records(path, st, follow, options.signal, pollMs, cursor, CHUNKS), st, options.signal);
  const commit = async (seq: number = st.yielded): Promise<number> => {
    if (cursor === undefined) throw new WalError('EINVAL', 'commit() needs readWal(path, { cursor: name })', { path });
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw new WalError('EINVAL', `seq must be an integer >= 0, got ${String(seq)}`, { path });
    // Never past what was read: a consumer that commits what it has not seen would skip it after a restart.
    if (seq > st.yielded) throw new WalError('EINVAL', `cannot commit seq ${seq}: this reader has yielded up to ${st.yielded}`, { path });
    return commitCursor(walTarget(path, { allowMissing: true }), cursor, seq);
  };
  Object.defineProperties(gen, {
    skipped: { get: () => st.skipped },
    skips: { get: () => st.skips },
    tornBytes: { get: () => st.tornBytes },
    commit: { value: commit },
  });
  return gen as unknown as WalReader;
}

/** What the follow loop needs of a segment reader: ParsedCursor or RawCursor (both SegmentCursors). */
interface SegmentReader<I> {
  readonly seg: SegmentFile;
  pos: number;
  fill(to: number): Promise<boolean>;
  take(st: ReadState): I[];
  end(st: ReadState): void;
  settle(st: ReadState): void;
  close(): void;
}

/** How a mode reads a segment, and the last seq of an item it yields (what a cursor may commit). */
interface ReadMode<I> {
  open(seg: SegmentFile): SegmentReader<I>;
  last(item: I): number;
}

const PARSED: ReadMode<WalRecord> = { open: (seg) => new ParsedCursor(seg), last: (r) => r.seq };
const CHUNKS: ReadMode<RawChunk> = { open: (seg) => new RawCursor(seg), last: (c) => c.lastSeq };

/** False when `signal` aborted during the wait. */
async function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
    return true;
  } catch (err) {
    if (signal?.aborted) return false;
    throw err;
  }
}

/** Seq of a closed segment's last line from its tail; Infinity when that takes more than a look (read it instead). */
async function lastSeqOf(seg: SegmentFile): Promise<number> {
  if (seg.size === 0) return -1;
  if (seg.compressed) {
    const head = Buffer.allocUnsafe(Math.min(seg.size, 4096));
    const meta = parseGzipMeta(head.subarray(0, await readSegment(seg, head, 0, head.length, 0)));
    return meta === undefined || meta.lastSeq < 0 ? Infinity : meta.lastSeq;
  }
  const n = Math.min(seg.size, TAIL_BYTES);
  const buf = Buffer.allocUnsafe(n);
  const bytesRead = await readSegment(seg, buf, 0, n, seg.size - n);
  const end = bytesRead > 0 ? buf.lastIndexOf(NL, bytesRead - 1) : -1;
  if (end <= 0) return Infinity;
  const start = buf.lastIndexOf(NL, end - 1) + 1;
  if (start === 0 && n < seg.size) return Infinity; // the line may begin before the window
  const seq = peekSeq(buf, start, end);
  return seq < 0 ? Infinity : seq;
}

/** The resolved WAL `input` names; while following, waits for it to exist, resolving the name again each time (it may appear as a new symlink). */
async function target(input: string, follow: boolean, signal: AbortSignal | undefined, pollMs: number): Promise<string | undefined> {
  for (;;) {
    const path = walTarget(input, { allowMissing: follow, what: 'readWal' });
    if (walExists(path)) return path;
    if (!(await sleep(pollMs, signal))) return undefined;
  }
}

async function* records<I>(input: string, st: ReadState, follow: boolean, signal: AbortSignal | undefined, pollMs: number, cursor: string | undefined, mode: ReadMode<I>): AsyncGenerator<I> {
  const path = await target(input, follow, signal, pollMs);
  if (path === undefined) return;
  // The cursor is read when iteration starts, so a reader made before a commit still sees it.
  if (cursor !== undefined) st.fromSeq = Math.max(st.fromSeq, (await readCursor(path, cursor)) + 1);
  while (!signal?.aborted) {
    const segs = openSegments(path);
    try {
      let active: SegmentReader<I> | null = null;
      for (const seg of segs) {
        if (signal?.aborted) return;
        if (seg.index === 0) {
          active = mode.open(seg);
          break;
        }
        if (st.fromSeq > 0 && (await lastSeqOf(seg)) < st.fromSeq) continue;
        const cur = mode.open(seg);
        try {
          while (await cur.fill(seg.size)) for (const rec of cur.take(st)) { if (signal?.aborted) return; st.yielded = mode.last(rec); yield rec; }
          cur.end(st);
        } finally {
          cur.close();
        }
      }
      if (active === null) {
        if (!follow || !(await sleep(pollMs, signal))) return;
        continue; // the active file may exist by now
      }
      // One await per chunk, one yield per record (no nested generator: each level costs a promise per record).
      while (await active.fill(active.seg.size)) for (const rec of active.take(st)) { if (signal?.aborted) return; st.yielded = mode.last(rec); yield rec; }
      if (!follow) {
        active.end(st);
        return;
      }
      for (;;) {
        active.settle(st);
        if (!(await sleep(pollMs, signal))) return;
        // stat the name before the fd: once renamed, the old file no longer grows, so the
        // size read after the rename is final.
        const now = statSync(path, { throwIfNoEntry: false });
        const moved = now === undefined || now.ino !== active.seg.ino || now.dev !== active.seg.dev;
        const size = fstatSync(active.seg.fd).size;
        if (size < active.pos) break; // cut below what we read: find our place again by seq
        while (await active.fill(size)) for (const rec of active.take(st)) { if (signal?.aborted) return; st.yielded = mode.last(rec); yield rec; }
        if (moved) {
          active.seg.size = size;
          active.end(st);
          break;
        }
      }
      st.fromSeq = Math.max(st.fromSeq, st.lastSeq + 1);
    } finally {
      closeSegments(segs);
    }
  }
}
