// The container of a compressed segment, `{path}.N.gz`: a standard gzip member (RFC 1952;
// `gunzip`, `zcat` and any gzip reader read it) whose header comment (FCOMMENT) carries
// what readers need without decompressing: the first and last seq, the newest event's ts
// and the plain size. readWal skips a segment by its last seq, retention judges it by its
// newest ts, and cleanup deletes it whole, all from the first bytes of the file.
import { readSync } from 'node:fs';

/** What the header of a compressed segment says about its lines. */
export interface GzMeta {
  /** -1 when the segment holds no line that parses. */
  firstSeq: number;
  lastSeq: number;
  /** ts of the last line, -1 when unknown. */
  lastTs: number;
  /** Bytes of the plain segment. */
  bytes: number;
}

const ID1 = 0x1f;
const ID2 = 0x8b;
const CM_DEFLATE = 8;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;
/** Node's gzip header is always the fixed 10 bytes without optional fields. */
export const NODE_GZIP_HEADER_BYTES = 10;
const HEAD_BYTES = 4096;
const TAG = 'threadwal ';

/** A gzip header like Node's (`mtime` 0, OS unknown) with `meta` in its comment; the deflate stream and trailer follow unchanged. */
export function gzipHeader(meta: GzMeta): Buffer {
  const comment = `${TAG}${JSON.stringify({ first_seq: meta.firstSeq, last_seq: meta.lastSeq, last_ts: meta.lastTs, bytes: meta.bytes })}`;
  const head = Buffer.from([ID1, ID2, CM_DEFLATE, FCOMMENT, 0, 0, 0, 0, 0, 0xff]);
  return Buffer.concat([head, Buffer.from(comment, 'latin1'), Buffer.from([0])]);
}

/** Parses the header's comment; undefined when `buf` is not a gzip header of ours (a foreign .gz is still read, just not skipped). */
export function parseGzipMeta(buf: Buffer): GzMeta | undefined {
  if (buf.length < 10 || buf[0] !== ID1 || buf[1] !== ID2 || buf[2] !== CM_DEFLATE) return undefined;
  const flags = buf[3]!;
  let i = 10;
  if (flags & FEXTRA) {
    if (i + 2 > buf.length) return undefined;
    i += 2 + buf.readUInt16LE(i);
  }
  if (flags & FNAME) {
    const z = buf.indexOf(0, i);
    if (z < 0) return undefined;
    i = z + 1;
  }
  if (!(flags & FCOMMENT)) return undefined;
  const z = buf.indexOf(0, i);
  if (z < 0) return undefined;
  const comment = buf.toString('latin1', i, z);
  if (!comment.startsWith(TAG)) return undefined;
  try {
    const v = JSON.parse(comment.slice(TAG.length)) as Record<string, unknown>;
    const int = (x: unknown): number => (typeof x === 'number' && Number.isSafeInteger(x) && x >= -1 ? x : NaN);
    const meta = { firstSeq: int(v.first_seq), lastSeq: int(v.last_seq), lastTs: int(v.last_ts), bytes: int(v.bytes) };
    return Object.values(meta).some(Number.isNaN) ? undefined : meta;
  } catch {
    return undefined;
  }
}

/** Reads the meta of the compressed segment open at `fd`. */
export function readGzipMeta(fd: number): GzMeta | undefined {
  const buf = Buffer.allocUnsafe(HEAD_BYTES);
  const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
  return parseGzipMeta(buf.subarray(0, n));
}
