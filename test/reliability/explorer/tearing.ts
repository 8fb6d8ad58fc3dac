// Crash-state explorer: what a power cut may leave of one file's writes since its last
// fsync/fdatasync (docs/RELIABILITY.md, "Crash-state explorer", has the model and why).
// A variant names a content: the file as it was after its first `j` data operations,
// optionally cut to `len` bytes, optionally with [zero[0], zero[1]) read back as zeros.
import type { Op } from './ops.js';

/** Disk sectors: the unit a device writes whole. Pages (4 KiB) are multiples of it. */
export const SECTOR = 512;

export interface DataVariant {
  j: number;
  len?: number;
  zero?: [number, number];
}

export function variantKey(v: DataVariant): string {
  return `${v.j}/${v.len ?? ''}/${v.zero ? v.zero.join('-') : ''}`;
}

export function applyDataOp(buf: Buffer, op: Op): Buffer {
  if (op.k === 'write') {
    const end = op.off + op.data.length;
    const out = end > buf.length ? Buffer.concat([buf, Buffer.alloc(end - buf.length)]) : Buffer.from(buf);
    op.data.copy(out, op.off);
    return out;
  }
  if (op.k === 'trunc') return op.len <= buf.length ? buf.subarray(0, op.len) : Buffer.concat([buf, Buffer.alloc(op.len - buf.length)]);
  throw new Error(`not a data op: ${op.k}`);
}

/** Builds a variant's bytes from the content after `j` ops. */
export function variantContent(after: Buffer, v: DataVariant): Buffer {
  let out = v.len === undefined ? after : after.subarray(0, v.len);
  if (v.zero) {
    out = Buffer.from(out);
    out.fill(0, v.zero[0], Math.min(v.zero[1], out.length));
  }
  return out;
}

function boundsIn(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  for (let b = (Math.floor(lo / step) + 1) * step; b < hi; b += step) out.push(b);
  return out;
}

/**
 * The variants of a file whose durable state is its content after `j0` data ops and which
 * has had ops j0+1 … j1 since (`ops` are its data ops, `contentAfter(j)` its content after
 * the first j). Always: every prefix of the pending ops (j0 = all lost … j1 = all kept).
 * When the pending ops only append (the WAL, temp files, cursors), also: the size reached
 * disk at a sector boundary with the data before it (a torn write); the size of any
 * pending write reached disk with the data only up to a sector boundary (zeros after:
 * the blocks never got written); and a hole: any run of whole sectors read back as zeros
 * with the data before and after it on disk (so a later page kept while an earlier one is
 * zeros). Otherwise (truncates, overwrites) a write that extended the file may be torn at
 * a sector boundary. Holes beyond `maxHoles` are a seeded sample.
 */
export function fileVariants(ops: readonly Op[], j0: number, j1: number, contentAfter: (j: number) => Buffer, maxHoles: number, rand: () => number): DataVariant[] {
  const vs: DataVariant[] = [];
  for (let j = j0; j <= j1; j++) vs.push({ j });
  const s = contentAfter(j0).length;
  let appendOnly = true;
  for (let j = j0; j < j1; j++) {
    const op = ops[j]!;
    if (op.k !== 'write' || op.off !== contentAfter(j).length) appendOnly = false;
  }
  if (appendOnly) {
    const e = contentAfter(j1).length;
    for (const b of boundsIn(s, e, SECTOR)) vs.push({ j: j1, len: b });
    const holes: DataVariant[] = [];
    for (let j = j0 + 1; j <= j1; j++) {
      const end = contentAfter(j).length;
      const edges = [s, ...boundsIn(s, end, SECTOR), end];
      for (let x = 0; x < edges.length - 1; x++) {
        vs.push({ j, zero: [edges[x]!, end] }); // data up to a sector boundary (or none), zeros to the end
        for (let y = x + 1; y < edges.length - 1; y++) holes.push({ j, zero: [edges[x]!, edges[y]!] }); // zeros, then data
      }
    }
    if (holes.length > maxHoles) {
      for (let i = holes.length - 1; i > 0; i--) {
        const k = Math.floor(rand() * (i + 1));
        [holes[i], holes[k]] = [holes[k]!, holes[i]!];
      }
      holes.length = maxHoles;
    }
    vs.push(...holes);
  } else {
    for (let j = j0 + 1; j <= j1; j++) {
      const op = ops[j - 1]!;
      const before = contentAfter(j - 1).length;
      if (op.k === 'write' && op.off + op.data.length > before) {
        for (const b of boundsIn(Math.max(op.off, before), op.off + op.data.length, SECTOR)) vs.push({ j, len: b });
      }
    }
  }
  const seen = new Set<string>();
  return vs.filter((v) => {
    const k = variantKey(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
