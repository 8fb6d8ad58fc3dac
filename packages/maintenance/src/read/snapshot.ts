// A consistent view of a WAL's segments: every segment is opened up front, so a rotation
// or cleanup renaming files while we read can no longer change what we read (an open fd
// follows its inode). Readers take no lock, so the listing is checked again after opening
// and retried when a rename slipped in between. Files are opened O_NONBLOCK and checked to
// be regular files, so a FIFO or device put in a segment's place can never block a reader.
import { openSync, closeSync, fstatSync, statSync, constants } from 'node:fs';
import { rotatedIndexes, rotatedSegmentFile, COMPRESSED_SUFFIX, WalError, fromFsError } from '@threadwal/core';
import { notRegular } from '../wal-target.js';

/** One open segment file. */
export interface SegmentFile {
  path: string;
  /** 0 for the active file, N for `{path}.N`. */
  index: number;
  fd: number;
  /** `{path}.N.gz`: `size` is the compressed size; read it through GzReader. */
  compressed: boolean;
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

const MAX_ATTEMPTS = 50;

/** Opens all segments in reading order (`.N … .1`, then `{path}`); the active file read-write when `activeWritable`. */
export function openSegments(path: string, opts: { activeWritable?: boolean } = {}): SegmentFile[] {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const indexes = [...rotatedIndexes(path), 0];
    const out: SegmentFile[] = [];
    let consistent = true;
    for (const index of indexes) {
      const p = index === 0 ? path : rotatedSegmentFile(path, index);
      if (p === undefined) {
        consistent = false; // renamed away since the listing
        continue;
      }
      const flags = (index === 0 && opts.activeWritable ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NONBLOCK;
      let fd: number;
      try {
        fd = openSync(p, flags);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          if (index !== 0) consistent = false; // renamed away since the listing
          continue;
        }
        closeSegments(out);
        throw fromFsError(err, p, 'open');
      }
      const st = fstatSync(fd);
      if (!st.isFile()) {
        closeSync(fd);
        closeSegments(out);
        throw notRegular(p, path, st);
      }
      out.push({ path: p, index, fd, compressed: p.endsWith(COMPRESSED_SUFFIX) && index !== 0, dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    }
    if (consistent && sameListing(path, out)) return out;
    closeSegments(out);
  }
  throw new WalError('EIO', `the segments of ${path} kept changing while being opened`, { path });
}

function sameListing(path: string, segs: SegmentFile[]): boolean {
  const now = rotatedIndexes(path);
  const rotated = segs.filter((s) => s.index !== 0);
  if (now.length !== rotated.length) return false;
  for (let i = 0; i < now.length; i++) if (now[i] !== rotated[i]!.index) return false;
  // A compression that finished meanwhile changed which file holds an index.
  for (const s of rotated) if (rotatedSegmentFile(path, s.index) !== s.path) return false;
  for (const s of segs) {
    if (!sameFile(s)) return false;
  }
  // An active file that appeared after we looked for it is simply newer than the snapshot.
  return true;
}

/** True when `seg.path` still names the inode we opened. */
export function sameFile(seg: SegmentFile): boolean {
  const st = statSync(seg.path, { throwIfNoEntry: false });
  return st !== undefined && st.ino === seg.ino && st.dev === seg.dev;
}

/** Where the inode we opened lives now among `path`'s segments (core's locateSegment). */
export { locateSegment as locate } from '@threadwal/core';

/** Closes every fd of a snapshot (idempotent per segment). */
export function closeSegments(segs: SegmentFile[]): void {
  for (const s of segs) {
    if (s.fd < 0) continue;
    try {
      closeSync(s.fd);
    } catch {
      // closing a read fd we are done with: nothing to recover
    }
    s.fd = -1;
  }
}
