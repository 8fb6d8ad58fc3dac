// Worker side of verify: one streamed pass over every segment in reading order. Per line it
// costs a native newline search and a byte-level JSON check of the writer's shape
// (record-check.ts); NUL bytes and UTF-8 are checked natively once per chunk. Only a line
// that fails the cheap check is JSON.parsed (so a valid line in another field order still
// counts); `deep` JSON.parses every line. The active file's torn tail is where core's
// scanActiveTail says, the same call recovery cuts by; every bad line before it is reported.
import { isUtf8 } from 'node:buffer';
import { checkLineChecksum, checksumMismatch, parseLine, readMetaNextSeq, scanActiveTail, WalError } from '@threadwal/core';
import { checkRecord } from './record-check.js';
import { openSegments, closeSegments, type SegmentFile } from '../read/snapshot.js';
import { LineScanner, type OnLine } from '../read/line-scanner.js';
import { GzReader } from '../read/gz-reader.js';
import { listTemps } from '@threadwal/core';
import type { JobContext } from '../pool/job-context.js';
import type { VerifyJob } from '../pool/protocol.js';
import type { SegmentReport, VerifyReport } from '../types.js';

/** Seq of a valid line (one parseLine, and so readWal, accepts), or -1. */
function lineSeq(buf: Buffer, s: number, e: number, clean: boolean, deep: boolean): number {
  // A checksum that does not match (checksum: 'crc32c') makes a line bad even if it parses.
  if (checkLineChecksum(buf, s, e) === 'bad') return -1;
  if (!deep && clean) {
    const seq = checkRecord(buf, s, e);
    if (seq >= 0) return seq;
  }
  if (!clean) {
    const line = buf.subarray(s, e);
    if (line.includes(0) || !isUtf8(line)) return -1;
  }
  try {
    return parseLine(buf.toString('utf8', s, e)).seq;
  } catch {
    return -1;
  }
}

class Verifier {
  readonly report: VerifyReport;
  readonly #max: number;
  readonly #deep: boolean;
  #prev = -1;

  constructor(path: string, deep: boolean, maxIssues: number) {
    this.#deep = deep;
    this.#max = maxIssues;
    this.report = {
      ok: true, path, segments: [], events: 0, bytes: 0, firstSeq: -1, lastSeq: -1,
      gaps: [], duplicates: [], outOfOrder: [], badLines: [],
      counts: { gaps: 0, duplicates: 0, outOfOrder: 0, badLines: 0 },
      tornTailBytes: 0, metaNextSeq: 0, tempFiles: [],
    };
  }

  #bad(file: string, offset: number, line?: { buf: Buffer; s: number; e: number }): void {
    this.report.counts.badLines += 1;
    if (this.report.badLines.length >= this.#max) return;
    const checksum = line && checksumMismatch(line.buf, line.s, line.e);
    this.report.badLines.push(checksum ? { file, offset, checksum } : { file, offset });
  }

  #event(seq: number, seg: SegmentReport, offset: number): void {
    const r = this.report;
    r.events += 1;
    seg.events += 1;
    if (seg.firstSeq < 0) seg.firstSeq = seq;
    seg.lastSeq = seq;
    if (r.firstSeq < 0) r.firstSeq = seq;
    const prev = this.#prev;
    if (prev >= 0) {
      if (seq > prev + 1) {
        r.counts.gaps += 1;
        if (r.gaps.length < this.#max) r.gaps.push({ from: prev + 1, to: seq - 1, file: seg.path, offset });
      } else if (seq === prev) {
        r.counts.duplicates += 1;
        if (r.duplicates.length < this.#max) r.duplicates.push({ seq, file: seg.path, offset });
      } else if (seq < prev) {
        r.counts.outOfOrder += 1;
        if (r.outOfOrder.length < this.#max) r.outOfOrder.push({ seq, prev, file: seg.path, offset });
      }
    }
    // The highest seq so far, so one stray low seq is reported once, not as a gap after it too.
    if (seq > prev) this.#prev = seq;
    r.lastSeq = this.#prev;
  }

  async segment(seg: SegmentFile, scanner: LineScanner, ctx: JobContext): Promise<void> {
    const rep: SegmentReport = { path: seg.path, size: seg.size, events: 0, firstSeq: -1, lastSeq: -1 };
    if (seg.compressed) rep.compressed = true;
    this.report.segments.push(rep);
    this.report.bytes += seg.size;
    const onLine: OnLine = (buf, s, e, offset, clean) => {
      const seq = lineSeq(buf, s, e, clean, this.#deep);
      if (seq < 0) this.#bad(seg.path, offset, { buf, s, e });
      else this.#event(seq, rep, offset);
      return true;
    };
    let wholeEnd: number;
    let size = seg.size;
    if (seg.compressed) {
      // Offsets in a compressed segment are of its plain bytes, as readWal reports them.
      const gz = new GzReader(seg.fd, seg.path);
      try {
        wholeEnd = await scanner.scanReader(gz, onLine, () => ctx.checkCancel());
      } catch (err) {
        if (!(err instanceof WalError) || err.code !== 'ECORRUPT') throw err;
        // A damaged compressed file: one bad "line" where decompression failed (a compressed offset), and the segment ends there.
        this.#bad(seg.path, err.offset ?? 0);
        ctx.advance(seg.size);
        return;
      } finally {
        gz.close();
      }
      size = gz.total;
      ctx.advance(seg.size);
    } else if (seg.index === 0) {
      // Up to the torn tail, which is not read: it is what the next open cuts.
      const tornStart = scanActiveTail(seg.fd, seg.path, seg.size).tornStart;
      wholeEnd = scanner.scan(seg.fd, 0, tornStart, onLine, (n) => ctx.advance(n));
      ctx.advance(seg.size - tornStart);
      this.report.tornTailBytes = seg.size - wholeEnd;
      return;
    } else {
      wholeEnd = scanner.scan(seg.fd, 0, seg.size, onLine, (n) => ctx.advance(n));
    }
    if (wholeEnd < size) this.#bad(seg.path, wholeEnd); // an unterminated last line in a closed segment
  }

  finish(path: string): VerifyReport {
    const r = this.report;
    r.metaNextSeq = readMetaNextSeq(path);
    r.tempFiles = listTemps(path).map((t) => t.path);
    r.ok = r.counts.badLines === 0 && r.counts.gaps === 0 && r.counts.duplicates === 0 && r.counts.outOfOrder === 0;
    return r;
  }
}

/** Checks every segment of `job.path`; runs in a pool worker. */
export async function runVerify(job: VerifyJob, ctx: JobContext): Promise<VerifyReport> {
  const segs = openSegments(job.path);
  try {
    ctx.bytesTotal = segs.reduce((n, s) => n + s.size, 0);
    const v = new Verifier(job.path, job.deep, job.maxIssues);
    const scanner = new LineScanner();
    for (const seg of segs) await v.segment(seg, scanner, ctx);
    return v.finish(job.path);
  } finally {
    closeSegments(segs);
  }
}
