// Segment naming and the shift/rename primitive shared by the writer's auto-rotation and
// maintenance's rotate. The active file is `{path}`; rotated ones are `{path}.1` (newest)
// … `{path}.N` (oldest), as the seed. `{path}.meta` remembers the next seq so that a seq
// is never reused even when rotation or cleanup removed every event. A rotated segment
// may be compressed by maintenance: `{path}.N.gz` holds the same lines as `{path}.N`.
// While both exist (a compression that crashed between its rename and its unlink) the
// plain one is the segment and the `.gz` a finished copy of it. `.meta` also holds the WAL's
// random identity (`id`, made on first open), which shippers use to name what they publish.
import { dirname, basename } from 'node:path';
import { readdirSync, constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { fsSeam, fsyncDir, readFully, type FsSeam } from '../util/fs-seam.js';
import { WalError, isNoSpace } from '../errors.js';
import { modeOf } from './file-mode.js';
import { DROPPED_FSYNC } from '../util/test-switches.js';

export function segmentPath(path: string, index: number): string {
  return index === 0 ? path : `${path}.${index}`;
}

export function metaPath(path: string): string {
  return `${path}.meta`;
}

/** Suffix of a compressed rotated segment, `{path}.N.gz`. */
export const COMPRESSED_SUFFIX = '.gz';

/** Indexes of the rotated segments that exist (plain or compressed), oldest (highest) first. */
export function rotatedIndexes(path: string): number[] {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const seen = new Set<number>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^([1-9][0-9]{0,8})(?:\.gz)?$/.exec(name.slice(prefix.length));
    if (m) seen.add(Number(m[1]));
  }
  return [...seen].sort((a, b) => b - a);
}

/** The file that holds rotated segment `index` now: `{path}.N`, else `{path}.N.gz`, else undefined. */
export function rotatedSegmentFile(path: string, index: number): string | undefined {
  const plain = segmentPath(path, index);
  if (fsSeam.statSync(plain)) return plain;
  const gz = plain + COMPRESSED_SUFFIX;
  return fsSeam.statSync(gz) ? gz : undefined;
}

/**
 * Where the file with this identity lives now among `path`'s segments (the active file,
 * `{path}.N` or `{path}.N.gz`), or undefined when it is gone (deleted, or renamed out of
 * the listing). A rotation shifts names, so a job that opened a segment a while ago finds
 * it again this way, under the lock, before it replaces or removes it.
 */
export function locateSegment(path: string, seg: { dev: number; ino: number }): string | undefined {
  for (const index of [0, ...rotatedIndexes(path)]) {
    for (const p of index === 0 ? [path] : [segmentPath(path, index), segmentPath(path, index) + COMPRESSED_SUFFIX]) {
      const st = fsSeam.statSync(p);
      if (st !== undefined && st.ino === seg.ino && st.dev === seg.dev) return p;
    }
  }
  return undefined;
}

/** All segment files in reading order: `.N … .1` (each plain or `.gz`), then `{path}` (if present). */
export function segmentPaths(path: string): string[] {
  const out: string[] = [];
  for (const i of rotatedIndexes(path)) {
    const f = rotatedSegmentFile(path, i);
    if (f !== undefined) out.push(f);
  }
  if (fsSeam.statSync(path)) out.push(path);
  return out;
}

/** What `{path}.meta` holds: the next seq and the WAL's random identity (absent in old logs). */
interface Meta {
  nextSeq: number;
  id: string | undefined;
}

const WAL_ID = /^[0-9a-f]{32}$/;

function readMeta(path: string): Meta {
  const none: Meta = { nextSeq: 0, id: undefined };
  const p = metaPath(path);
  if (!fsSeam.statSync(p)) return none;
  let fd: number;
  try {
    fd = fsSeam.openSync(p, constants.O_RDONLY);
  } catch {
    return none;
  }
  try {
    const buf = Buffer.alloc(256);
    const n = readFully(fd, buf, buf.length, 0);
    const v = JSON.parse(buf.toString('utf8', 0, n)) as { next_seq?: unknown; id?: unknown };
    return {
      nextSeq: typeof v.next_seq === 'number' && Number.isSafeInteger(v.next_seq) && v.next_seq >= 0 ? v.next_seq : 0,
      id: typeof v.id === 'string' && WAL_ID.test(v.id) ? v.id : undefined,
    };
  } catch {
    return none; // a torn meta file is ignored: the segments themselves still give the seq
  } finally {
    fsSeam.closeSync(fd);
  }
}

type MetaIo = Pick<FsSeam, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'unlinkSync' | 'fstatSync' | 'fchmodSync'>;

/**
 * The id is written around the seam (plain fs): it happens once per log, at open, and must
 * not shift the write/fsync counts the fault-injection tests aim at the data path.
 */
const directIo: MetaIo = {
  openSync: (p, flags, mode) => fs.openSync(p, flags, mode),
  writeSync: (fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (p) => fs.unlinkSync(p),
  fstatSync: (fd) => fs.fstatSync(fd),
  fchmodSync: (fd, mode) => fs.fchmodSync(fd, mode),
};

function writeAll(io: MetaIo, fd: number, buf: Buffer): void {
  for (let done = 0; done < buf.length;) {
    try {
      done += io.writeSync(fd, buf, done, buf.length - done);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'EINTR') throw err;
    }
  }
}

/**
 * temp file, fsync, rename, dir fsync. The temp file gets `mode` (exactly: fchmod), else
 * the mode of the `.meta` it replaces, else that of the active file (so a log made 0600
 * stays 0600 whichever process updates it), else the default less the umask. A failure
 * removes the temp file. Out of space (ENOSPC, EDQUOT), the update is instead written
 * over the old `.meta` in place, within the block it already has (rewriteMetaInPlace):
 * that needs no new block, so rotate, cleanup and retention can record the next seq and
 * go on to free space on a full disk.
 */
function writeMeta(path: string, meta: Meta, io: MetaIo = fsSeam, mode?: number): void {
  const p = metaPath(path);
  const id = meta.id === undefined ? '' : `,"id":"${meta.id}"`;
  const text = `{"next_seq":${meta.nextSeq}${id}}`;
  const keep = mode ?? modeOf(p) ?? modeOf(path);
  const tmp = `${p}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  let fd = -1;
  try {
    fd = io.openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, keep ?? 0o644);
    if (keep !== undefined) io.fchmodSync(fd, keep);
    writeAll(io, fd, Buffer.from(`${text}\n`));
    io.fsyncSync(fd);
    const closing = fd;
    fd = -1;
    io.closeSync(closing);
    io.renameSync(tmp, p);
  } catch (err) {
    if (fd >= 0) {
      try { io.closeSync(fd); } catch { /* being thrown away */ }
    }
    try { io.unlinkSync(tmp); } catch { /* never created, or renamed */ }
    if (isNoSpace(err) && rewriteMetaInPlace(p, text, io)) return;
    throw err;
  }
  const dfd = io.openSync(dirname(path), constants.O_RDONLY);
  try {
    io.fsyncSync(dfd);
  } finally {
    io.closeSync(dfd);
  }
}

/**
 * Writes `text` over `.meta` at offset 0, padded with spaces to at least its old length (a
 * shorter text would leave old bytes behind), then fsyncs it. Only when the file's
 * allocated blocks already hold the new length: then the write needs no free space. False
 * (nothing written) when there is no `.meta` or its blocks are too small. The update is
 * one write of well under 512 bytes at offset 0, inside the first sector, which a disk
 * writes whole or not at all (PostgreSQL's pg_control relies on the same); the usual path
 * (temp file and rename) does not rely on it.
 */
function rewriteMetaInPlace(p: string, text: string, io: MetaIo): boolean {
  let fd: number;
  try {
    fd = io.openSync(p, constants.O_WRONLY);
  } catch {
    return false;
  }
  try {
    const st = io.fstatSync(fd);
    const len = Math.max(text.length + 1, st.size);
    if (!st.isFile() || len > 512 || len > st.blocks * 512) return false;
    writeAll(io, fd, Buffer.from(`${text.padEnd(len - 1, ' ')}\n`));
    io.fsyncSync(fd);
    return true;
  } finally {
    io.closeSync(fd);
  }
}

/** The next seq recorded in `{path}.meta`, or 0. */
export function readMetaNextSeq(path: string): number {
  return readMeta(path).nextSeq;
}

/** Durably records that seqs below `nextSeq` are used (temp file, fsync, rename, dir fsync). Keeps the larger value and the id. */
export function writeMetaNextSeq(path: string, nextSeq: number, mode?: number): void {
  const meta = readMeta(path);
  if (meta.nextSeq >= nextSeq) return;
  writeMeta(path, { nextSeq, id: meta.id }, fsSeam, mode);
}

/** The WAL's identity (32 hex digits, random, made when the log was first opened), or undefined for a log that has none yet. */
export function readWalId(path: string): string | undefined {
  return readMeta(path).id;
}

/** Gives the WAL an identity in `{path}.meta` if it has none; returns it. The caller holds the lock. `mode`: see writeMeta. */
export function ensureWalId(path: string, mode?: number): string {
  const meta = readMeta(path);
  if (meta.id !== undefined) return meta.id;
  const id = randomBytes(16).toString('hex');
  writeMeta(path, { nextSeq: meta.nextSeq, id }, directIo, mode);
  return id;
}

/**
 * Moves `{path}` to `{path}.1`, shifting `.1 → .2 …`, keeping at most `maxRotations` rotated
 * files (0: the active file's events are dropped), then creates a fresh empty `{path}` and
 * fsyncs the directory. The fresh file gets `mode`, else the rotated file's permissions.
 * The caller holds the lock and passes the next seq, which is
 * recorded first so that a crash between renames never loses it. Renaming the oldest
 * first means a crash midway leaves a numbering gap, never two files with one name.
 */
export function shiftSegments(path: string, maxRotations: number, nextSeq: number, mode?: number): void {
  if (!Number.isSafeInteger(maxRotations) || maxRotations < 0) throw new WalError('EINVAL', `maxRotations must be an integer >= 0, got ${maxRotations}`, { path });
  // The fresh active file gets `mode`, else the mode of the one it replaces.
  const keep = mode ?? modeOf(path);
  writeMetaNextSeq(path, nextSeq, mode);
  // Both names of an index move (or go) together, so a plain segment and its compressed copy stay paired.
  const both = (i: number): string[] => [segmentPath(path, i), segmentPath(path, i) + COMPRESSED_SUFFIX].filter((p) => fsSeam.statSync(p));
  for (const i of rotatedIndexes(path)) {
    if (i >= maxRotations) for (const p of both(i)) fsSeam.unlinkSync(p);
  }
  if (maxRotations === 0) {
    if (fsSeam.statSync(path)) fsSeam.unlinkSync(path);
  } else {
    for (const i of rotatedIndexes(path)) for (const p of both(i)) fsSeam.renameSync(p, p.endsWith(COMPRESSED_SUFFIX) ? segmentPath(path, i + 1) + COMPRESSED_SUFFIX : segmentPath(path, i + 1));
    if (fsSeam.statSync(path)) fsSeam.renameSync(path, segmentPath(path, 1));
  }
  const fd = fsSeam.openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, keep ?? 0o644);
  try {
    if (keep !== undefined) fsSeam.fchmodSync(fd, keep);
  } finally {
    fsSeam.closeSync(fd);
  }
  if (DROPPED_FSYNC !== 'rotate-dir') fsyncDir(dirname(path));
}
