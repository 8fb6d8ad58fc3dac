// The seq of a WAL's newest event, read from the end of its newest non-empty segment, so
// that `tail` starts near the end of a large log without reading all of it.
import { closeSync, openSync, readSync } from 'node:fs';
import { listSegments } from './wal-path.js';

const WINDOW_BYTES = 64 * 1024;

/** The seq of the last complete line of the file, or -1 (no complete line that parses). */
function lastSeqOfFile(file: string, size: number): number {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return -1; // rotated away since the listing: the caller tries the next one
  }
  try {
    // Read backwards in windows until the window holds a whole line (two newlines, or one
    // and the start of the file); the bytes after the last newline are a torn tail.
    for (let window = WINDOW_BYTES; ; window *= 2) {
      const start = Math.max(0, size - window);
      const buf = Buffer.allocUnsafe(size - start);
      const n = readSync(fd, buf, 0, buf.length, start);
      const text = buf.toString('utf8', 0, n);
      const end = text.lastIndexOf('\n');
      if (end < 0 && start === 0) return -1;
      const begin = end < 0 ? -1 : text.lastIndexOf('\n', end - 1);
      if (end >= 0 && (begin >= 0 || start === 0)) {
        try {
          const seq = (JSON.parse(text.slice(begin + 1, end)) as { seq?: unknown }).seq;
          return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : -1;
        } catch {
          return -1;
        }
      }
      if (start === 0) return -1;
    }
  } finally {
    closeSync(fd);
  }
}

/** The newest event's seq across the segments, or -1 when there is none that can be read. */
export function lastSeq(path: string): number {
  const segments = listSegments(path).reverse(); // newest first
  for (const seg of segments) {
    if (seg.size === 0) continue;
    const seq = lastSeqOfFile(seg.path, seg.size);
    if (seq >= 0) return seq;
  }
  return -1;
}
