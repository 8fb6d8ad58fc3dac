// Optional per-line checksums (`checksum: 'crc32c'`): the writer ends each line with
// `,"crc32c":"hhhhhhhh"}` where h is the CRC-32C (Castagnoli) of the line without that
// field, i.e. of the bytes up to it followed by the closing `}`. It is an extra JSON field
// after the seed's, so seed readers skip it; readWal and verify check it and report a
// flipped byte that still parses (a digit in a seq or ts, a letter in a string) as ECORRUPT
// with file and offset. A line ending in a `crc32c` field of that shape is always checked,
// so the key is reserved at the end of a line.

const POLY = 0x82f63b78; // CRC-32C, reflected
/** Slicing-by-4 tables: four bytes per step. */
const T = new Int32Array(4 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[i] = c;
}
for (let i = 0; i < 256; i++) {
  for (let t = 1; t < 4; t++) T[t * 256 + i] = (T[(t - 1) * 256 + i]! >>> 8) ^ T[T[(t - 1) * 256 + i]! & 0xff]!;
}

/** CRC-32C of buf[start, end), continuing from `crc` (0 to start). */
export function crc32c(buf: Uint8Array, start: number, end: number, crc = 0): number {
  let c = ~crc;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    c ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    c = T[768 + (c & 0xff)]! ^ T[512 + ((c >>> 8) & 0xff)]! ^ T[256 + ((c >>> 16) & 0xff)]! ^ T[c >>> 24]!;
  }
  for (; i < end; i++) c = T[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const FIELD = Buffer.from(',"crc32c":"');
/** Bytes the field adds to a line: `,"crc32c":"` + 8 hex + `"`. */
export const CHECKSUM_BYTES = FIELD.length + 9;
const HEX = Buffer.from('0123456789abcdef');
const CLOSE = 0x7d;
const QUOTE = 0x22;
const NL = 0x0a;

/** CRC of the line [s, e) (no `\n`) as it was before the field: the bytes up to `cut`, then `}`. */
function lineCrc(buf: Uint8Array, s: number, cut: number): number {
  return crc32c(CLOSE_BYTE, 0, 1, crc32c(buf, s, cut));
}
const CLOSE_BYTE = Uint8Array.of(CLOSE);

/** Adds the field to every line of a framed batch (each `{…}\n`); one copy into a reusable buffer. */
export class Stamper {
  #out: Buffer = Buffer.allocUnsafe(0);

  stamp(src: Uint8Array, len: number, count: number): { out: Buffer; len: number } {
    const need = len + count * CHECKSUM_BYTES;
    if (this.#out.length < need) this.#out = Buffer.allocUnsafe(Math.max(need, this.#out.length * 2));
    const out = this.#out;
    let o = 0;
    let s = 0;
    const view = Buffer.from(src.buffer, src.byteOffset, len);
    while (s < len) {
      const nl = view.indexOf(NL, s);
      const e = nl < 0 ? len : nl; // a framed batch always ends with \n
      const close = e - 1; // the line's closing `}`
      const crc = lineCrc(view, s, close);
      view.copy(out, o, s, close);
      o += close - s;
      FIELD.copy(out, o);
      o += FIELD.length;
      for (let k = 28; k >= 0; k -= 4) out[o++] = HEX[(crc >>> k) & 0xf]!;
      out[o++] = QUOTE;
      out[o++] = CLOSE;
      out[o++] = NL;
      s = e + 1;
    }
    return { out, len: o };
  }
}

/** The CRC line [s, e) (no `\n`) stores in its checksum field, or -1 when it carries none. */
function storedCrc(buf: Uint8Array, s: number, e: number): number {
  const f = e - 1 - CHECKSUM_BYTES; // where the field starts
  if (f <= s || buf[e - 1] !== CLOSE || buf[e - 2] !== QUOTE) return -1;
  for (let k = 0; k < FIELD.length; k++) if (buf[f + k] !== FIELD[k]) return -1;
  let want = 0;
  for (let k = f + FIELD.length; k < e - 2; k++) {
    const c = buf[k]!;
    const v = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (v < 0) return -1;
    want = want * 16 + v;
  }
  return want;
}

/** 'none' when line [s, e) (no `\n`) carries no checksum field, else whether it matches. */
export function checkLineChecksum(buf: Uint8Array, s: number, e: number): 'none' | 'ok' | 'bad' {
  const want = storedCrc(buf, s, e);
  if (want < 0) return 'none';
  return lineCrc(buf, s, e - 1 - CHECKSUM_BYTES) === want ? 'ok' : 'bad';
}

/** A checksum that does not match, as 8 hex digits each: what the line stores and what its bytes give. */
export interface ChecksumMismatch {
  expected: string;
  actual: string;
}

/** The mismatch of line [s, e), or undefined when it carries no checksum or it matches. */
export function checksumMismatch(buf: Uint8Array, s: number, e: number): ChecksumMismatch | undefined {
  const want = storedCrc(buf, s, e);
  if (want < 0) return undefined;
  const got = lineCrc(buf, s, e - 1 - CHECKSUM_BYTES);
  return got === want ? undefined : { expected: hex8(want), actual: hex8(got) };
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
