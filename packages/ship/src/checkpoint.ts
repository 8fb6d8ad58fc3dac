// The shipper's local checkpoint: the last WAL seq the server acknowledged. It is a hint for
// a fast restart and the low-water mark retention should respect; the stream itself is the
// truth (the shipper reconciles against it on every start), so a missing or unreadable
// checkpoint never stops a start. Behind the small Checkpoint interface so that a named
// consumer cursor (maintenance's, when it lands) can replace the file.
import { open, rename, readFile, mkdir, unlink } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { modeOf, walFileMode } from '@threadwal/core';

export interface CheckpointState {
  /** The WAL this checkpoint belongs to (its `.meta` id). */
  walId: string;
  stream: string;
  subject: string;
  /** WAL seq stored at stream seq 1 (the first ever shipped); -1 when not known. */
  base: number;
  /** The last WAL seq the server acknowledged (every seq up to it is in the stream). */
  ackedSeq: number;
  /** The stream seq of the message holding ackedSeq (-1: none; absent in checkpoints from before batches). */
  streamSeq?: number | undefined;
  /**
   * The last WAL seq acknowledged at least serverSyncIntervalMs ago: the server can no longer
   * lose it (what the maintenance cursor, and so retention, is given). Absent: ackedSeq.
   */
  durableSeq?: number | undefined;
  /** Wall-clock ms of the write. */
  ts: number;
}

export interface Checkpoint {
  /** The last committed state, or undefined when there is none (or it is unreadable). */
  load(): Promise<CheckpointState | undefined>;
  /** Durably records `state`; a smaller ackedSeq than the committed one is ignored (monotone). */
  commit(state: CheckpointState): Promise<void>;
}

/** Where the file checkpoint for shipper `name` of the WAL at `walPath` lives. */
export function checkpointPath(walPath: string, name: string): string {
  return join(`${walPath}.ship`, `${name}.json`);
}

/** fsync of a directory, on libuv's pool: a synchronous one held the shipper's event loop (and so its acks) for as long as the disk took. */
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function parse(text: string): CheckpointState | undefined {
  try {
    const v = JSON.parse(text) as Partial<CheckpointState> & { v?: unknown };
    if (v.v !== 1 || typeof v.walId !== 'string' || typeof v.stream !== 'string' || typeof v.subject !== 'string') return undefined;
    if (!Number.isSafeInteger(v.base) || !Number.isSafeInteger(v.ackedSeq) || (v.base as number) < -1 || (v.ackedSeq as number) < -1) return undefined;
    const opt = (x: unknown): number | undefined => (Number.isSafeInteger(x) && (x as number) >= -1 ? x as number : undefined);
    const ackedSeq = v.ackedSeq as number;
    return {
      walId: v.walId, stream: v.stream, subject: v.subject, base: v.base as number, ackedSeq, ts: Number(v.ts) || 0,
      streamSeq: opt(v.streamSeq), durableSeq: Math.min(opt(v.durableSeq) ?? ackedSeq, ackedSeq),
    };
  } catch {
    return undefined;
  }
}

/** `{walPath}.ship/<name>.json`, written temp + fsync + rename + directory fsync. */
export class FileCheckpoint implements Checkpoint {
  readonly path: string;
  #committed = -1;
  #dirMade = false;

  readonly #walPath: string;

  constructor(walPath: string, name: string) {
    this.path = checkpointPath(walPath, name);
    this.#walPath = walPath;
  }

  async load(): Promise<CheckpointState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return undefined;
    }
    const s = parse(text);
    if (s) this.#committed = Math.max(this.#committed, s.ackedSeq);
    return s;
  }

  async commit(state: CheckpointState): Promise<void> {
    if (state.ackedSeq < this.#committed) return;
    const dir = dirname(this.path);
    if (!this.#dirMade) {
      const made = await mkdir(dir, { recursive: true });
      if (made !== undefined) await fsyncDir(dirname(dir));
      this.#dirMade = true;
    }
    const tmp = `${this.path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    // The checkpoint keeps its mode, a new one takes the WAL's (core's file-mode.ts).
    const mode = modeOf(this.path) ?? walFileMode(this.#walPath);
    const fh = await open(tmp, 'wx', mode ?? 0o644);
    try {
      if (mode !== undefined) await fh.chmod(mode);
      await fh.writeFile(`${JSON.stringify({ v: 1, ...state })}\n`);
      await fh.datasync();
    } catch (err) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await fh.close();
    await rename(tmp, this.path);
    await fsyncDir(dir);
    this.#committed = state.ackedSeq;
  }
}

/**
 * What the file checkpoint says is shipped for good: every seq ≤ the result was acknowledged
 * by the server at least serverSyncIntervalMs ago (its durableSeq). -1 when nothing (or unknown). For retention.
 */
export async function shippedThrough(walPath: string, name = 'ship'): Promise<number> {
  const s = await new FileCheckpoint(walPath, name).load();
  return s ? s.durableSeq ?? s.ackedSeq : -1;
}
