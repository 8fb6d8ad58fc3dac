// The first and last line of a closed segment, read without scanning it: enough to skip a
// segment by seq (readWal's fromSeq) or to judge a whole one by age (cleanup).
import { readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { lastNewline, parseLine, peekSeq } from '@threadwal/core';
import { peekTs, nextNewline } from './lines.js';

const HEAD_BYTES = 64 * 1024;

/** Seq and ts of one line, or undefined when it is not a valid record. */
export interface LineKeys {
  seq: number;
  ts: number;
}

/** Reads seq and ts of the line [start, end) of `buf`: cheaply when it has the writer's shape, else by a full parse. */
export function lineKeys(buf: Buffer, start: number, end: number): LineKeys | undefined {
  const seq = peekSeq(buf, start, end);
  if (seq >= 0 && buf[end - 1] === 0x7d) {
    const ts = peekTs(buf, start, end);
    if (ts >= 0) return { seq, ts };
  }
  try {
    const r = parseLine(buf.toString('utf8', start, end));
    return { seq: r.seq, ts: r.ts };
  } catch {
    return undefined;
  }
}

/**
 * Seq and ts of a line JSON.parse accepts as a record (valid UTF-8 included), or undefined:
 * what cleanup requires before it drops a line that is not provably in the writer's shape.
 * (lineKeys' shape check would let a line with a damaged key or value through.)
 */
export function strictLineKeys(buf: Buffer, start: number, end: number): LineKeys | undefined {
  if (!isUtf8(buf.subarray(start, end))) return undefined;
  try {
    const r = parseLine(buf.toString('utf8', start, end));
    return { seq: r.seq, ts: r.ts };
  } catch {
    return undefined;
  }
}

function readAt(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, start + done);
    if (n === 0) break;
    done += n;
  }
  return buf.subarray(0, done);
}

/** Keys of the last complete line before `size`, or undefined (no line, or it does not parse). */
export function lastLineKeys(fd: number, size: number): LineKeys | undefined {
  const end = lastNewline(fd, size);
  if (end < 0) return undefined;
  const start = lastNewline(fd, end) + 1;
  return lineKeys(readAt(fd, start, end), 0, end - start);
}

/** Keys of the first line, or undefined (no complete line within 64 KiB, or it does not parse). */
export function firstLineKeys(fd: number, size: number): LineKeys | undefined {
  const buf = readAt(fd, 0, Math.min(size, HEAD_BYTES));
  const nl = nextNewline(buf, 0, buf.length);
  return nl < 0 ? undefined : lineKeys(buf, 0, nl);
}
