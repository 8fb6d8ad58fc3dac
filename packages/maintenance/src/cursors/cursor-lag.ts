// How far each consumer cursor is behind the log, for `threadwal cursors`: lag in events
// (the log's last seq minus the cursor's) and in bytes (of the lines after the cursor).
// Cheap for any log size: whole segments count by their size; in the plain segment that
// holds the cursor a binary search over line starts finds its offset (a few small reads).
// In a compressed one the bytes are estimated from its seq range (`approximate`).
import { readSync } from 'node:fs';
import { lastSeqOfFile, nextSeqFor, peekSeq } from '@threadwal/core';
import { openSegments, closeSegments, type SegmentFile } from '../read/snapshot.js';
import { firstLineKeys, lastLineKeys } from '@threadwal/core';
import { readGzipMeta } from '@threadwal/core';
import { listCursors, type CursorInfo } from './cursors.js';
import { walTarget } from '../wal-target.js';

/** One cursor and how far behind it is. */
export interface CursorStatus extends CursorInfo {
  /** Events after the cursor (the log's last seq minus its seq). */
  lagEvents: number;
  /** Bytes of those events' lines (plain bytes). */
  lagBytes: number;
  /** lagBytes was estimated (the cursor is inside a compressed segment). */
  approximate: boolean;
}

const PROBE_BYTES = 4096;
const NL = 0x0a;

interface Span {
  seg: SegmentFile;
  firstSeq: number;
  lastSeq: number;
  /** Plain bytes. */
  bytes: number;
}

function span(seg: SegmentFile): Span {
  if (seg.compressed) {
    const m = readGzipMeta(seg.fd);
    return { seg, firstSeq: m?.firstSeq ?? -1, lastSeq: m?.lastSeq ?? -1, bytes: m?.bytes ?? seg.size };
  }
  return { seg, firstSeq: firstLineKeys(seg.fd, seg.size)?.seq ?? -1, lastSeq: lastLineKeys(seg.fd, seg.size)?.seq ?? -1, bytes: seg.size };
}

/** Offset of the first line whose seq is above `seq` in a plain segment (binary search over line starts). */
function offsetAfter(seg: SegmentFile, seq: number): number {
  const buf = Buffer.allocUnsafe(PROBE_BYTES);
  /** Start and seq of the first whole line at or after `pos`, or undefined. */
  const lineAt = (pos: number): { start: number; seq: number } | undefined => {
    let start = pos;
    if (pos > 0) {
      const n = readSync(seg.fd, buf, 0, Math.min(PROBE_BYTES, seg.size - pos + 1), pos - 1);
      const nl = buf.subarray(0, n).indexOf(NL);
      if (nl < 0) return undefined;
      start = pos + nl;
    }
    if (start >= seg.size) return undefined;
    const n = readSync(seg.fd, buf, 0, Math.min(PROBE_BYTES, seg.size - start), start);
    const end = buf.subarray(0, n).indexOf(NL);
    const s = peekSeq(buf, 0, end < 0 ? n : end);
    return s < 0 ? undefined : { start, seq: s };
  };
  let lo = 0;
  let hi = seg.size;
  // Invariant: every line starting before lo has seq <= `seq`; the answer is in [lo, hi].
  while (hi - lo > PROBE_BYTES) {
    const mid = Math.floor((lo + hi) / 2);
    const l = lineAt(mid);
    if (l === undefined || l.seq > seq) hi = mid;
    else lo = l.start + 1;
  }
  for (let pos = lo; pos < seg.size;) {
    const l = lineAt(pos);
    if (l === undefined) return seg.size;
    if (l.seq > seq) return l.start;
    pos = l.start + 1;
  }
  return seg.size;
}

/** Every cursor of `path` with its lag. */
export async function cursorStatus(path: string): Promise<CursorStatus[]> {
  const abs = walTarget(path, { what: 'cursorStatus' });
  const cursors = await listCursors(abs);
  if (cursors.length === 0) return [];
  const lastSeq = nextSeqFor(abs, lastSeqOfFile(abs)) - 1;
  const segs = openSegments(abs);
  try {
    const spans = segs.map(span);
    return cursors.map((c) => {
      let lagBytes = 0;
      let approximate = false;
      for (const s of spans) {
        if (s.lastSeq >= 0 && s.lastSeq <= c.seq) continue;
        if (s.firstSeq > c.seq || s.firstSeq < 0) {
          lagBytes += s.bytes;
        } else if (s.seg.compressed) {
          approximate = true;
          lagBytes += Math.round((s.bytes * (s.lastSeq - c.seq)) / (s.lastSeq - s.firstSeq + 1));
        } else {
          lagBytes += s.bytes - offsetAfter(s.seg, c.seq);
        }
      }
      return { ...c, lagEvents: Math.max(0, lastSeq - c.seq), lagBytes, approximate };
    });
  } finally {
    closeSegments(segs);
  }
}
