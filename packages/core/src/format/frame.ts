// The writer's per-event work: turn producer batches of line bodies (`"ts":…}\n`) into
// lines by prefixing `{"seq":N,`. One native indexOf and one native copy per line; the seq
// digits are incremented in place rather than formatted per line.
import { WalError } from '../errors.js';

const PREFIX = [0x7b, 0x22, 0x73, 0x65, 0x71, 0x22, 0x3a]; // {"seq":
const MAX_PREFIX = PREFIX.length + 16 + 1;
const NL = 0x0a;

export interface BodyBatch {
  buf: Buffer;
  len: number;
  count: number;
}

/** What frame() returns: one object per Framer, reused by every call (no allocation per batch). */
export interface Framed {
  out: Buffer;
  len: number;
  count: number;
  firsts: number[];
  errors: Array<WalError | undefined>;
}

export class Framer {
  #out: Buffer = Buffer.allocUnsafe(1 << 20);
  readonly #result: Framed = { out: this.#out, len: 0, count: 0, firsts: [], errors: [] };
  readonly #digits = new Uint8Array(20);
  #ndigits = 0;

  #setSeq(seq: number): void {
    const s = String(seq);
    for (let i = 0; i < s.length; i++) this.#digits[i] = s.charCodeAt(i);
    this.#ndigits = s.length;
  }

  #increment(): void {
    const d = this.#digits;
    for (let i = this.#ndigits - 1; i >= 0; i--) {
      if (d[i] !== 0x39) {
        d[i]! += 1;
        return;
      }
      d[i] = 0x30;
    }
    d.copyWithin(1, 0, this.#ndigits); // 999 -> 1000
    d[0] = 0x31;
    this.#ndigits += 1;
  }

  /**
   * Frames `batches` starting at `firstSeq`. A batch that is not what a client sends (a line
   * count that does not match, no final newline) is left out, not framed: `firsts[i]` is
   * the first seq of batch i, or -1 with `errors[i]` saying why. The result, `out` and
   * the arrays are the Framer's own, valid until the next call.
   */
  frame(batches: readonly BodyBatch[], firstSeq: number): Framed {
    let need = 0;
    for (const b of batches) need += b.len + b.count * MAX_PREFIX;
    if (this.#out.length < need) this.#out = Buffer.allocUnsafe(Math.max(need, this.#out.length * 2));
    const out = this.#out;
    const d = this.#digits;
    const r = this.#result;
    const firsts = r.firsts;
    const errors = r.errors;
    firsts.length = 0;
    errors.length = 0;
    let seq = firstSeq;
    let o = 0;
    for (const b of batches) {
      this.#setSeq(seq);
      const src = b.buf;
      const end = b.len;
      const start = o;
      let pos = 0;
      let lines = 0;
      let error: WalError | undefined;
      while (pos < end) {
        const nl = src.indexOf(NL, pos);
        if (nl < 0 || nl >= end) { error = new WalError('EINVAL', 'batch does not end with a newline'); break; }
        // Never write past what the declared count reserved.
        if (lines === b.count) { error = new WalError('EINVAL', `batch says ${b.count} events but holds more`); break; }
        for (let k = 0; k < 7; k++) out[o + k] = PREFIX[k]!;
        o += 7;
        for (let k = 0; k < this.#ndigits; k++) out[o++] = d[k]!;
        out[o++] = 0x2c; // ,
        o += src.copy(out, o, pos, nl + 1);
        pos = nl + 1;
        lines += 1;
        this.#increment();
      }
      if (!error && lines !== b.count) error = new WalError('EINVAL', `batch says ${b.count} events but holds ${lines}`);
      if (error) {
        o = start; // roll back: the batch takes no bytes and no seqs
        firsts.push(-1);
      } else {
        firsts.push(seq);
        seq += lines;
      }
      errors.push(error);
    }
    r.out = out;
    r.len = o;
    r.count = seq - firstSeq;
    return r;
  }
}
