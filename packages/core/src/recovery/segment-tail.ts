// The first and last line of a closed segment, read without scanning it: enough to skip a
// segment by seq (readWal's fromSeq) or to judge a whole one by age (cleanup, retention).
import { readSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { lastNewline } from './tail-scan.js';
import { parseLine, peekSeq } from '../format/format.js';

const HEAD_BYTES = 64 * 1024;
const TS_KEY = [0x22, 0x74, 0x73, 0x22, 0x3a]; // "ts":
const NL = 0x0a;
const CLOSE = 0x7d; // }

/** Reads `ts` of a line in the writer's shape without a full parse; -1 when the line is not in that shape. */
export function peekTs(line: Uint8Array, start: number, end: number): number {
  let i = start + 7; // past {"seq":
  while (i < end && line[i]! >= 0x30 && line[i]! <= 0x39) i++;
  if (line[i] !== 0x2c) return -1; // ,
  i++;
  for (let k = 0; k < TS_KEY.length; k++, i++) if (line[i] !== TS_KEY[k]) return -1;
  let ts = 0;
  const first = i;
  for (; i < end; i++) {
    const c = line[i]!;
    if (c < 0x30 || c > 0x39) break;
    ts = ts * 10 + (c - 0x30);
  }
  if (i === first || i - first > 15 || (line[i] !== 0x2c && line[i] !== CLOSE)) return -1;
  return ts;
}

/** Offset of the next `\n` at or after `from` and before `end`, or -1. */
export function nextNewline(buf: Buffer, from: number, end: number): number {
  const i = buf.indexOf(NL, from);
  return i >= 0 && i < end ? i : -1;
}


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
