// The loop `cat` and `tail` share: read events with readWal, format, write to stdout with
// backpressure, stop when the reader of stdout goes away or the signal fires.
import type { WalRecord } from '@threadwal/client';
import type { SkippedRun } from '@threadwal/maintenance';
import { plural, segName } from './report.js';
import { Output } from './output.js';
import { formatJson, formatter, type RecordFormat } from './records.js';
import { startProgress } from './progress.js';

export interface PrintOptions {
  fromSeq: number;
  follow: boolean;
  format: RecordFormat;
  signal?: AbortSignal;
  /** Print only the records it accepts (--min-level, --job). */
  filter?: (r: WalRecord) => boolean;
  /** Show a progress bar for this many bytes (the segments' total); undefined: no bar. */
  progressBytes?: number;
  /** Skip lines that do not parse (readWal's 'skip'), and say on stderr how many and where. Default: stop with ECORRUPT. */
  skipBad?: boolean;
}

/** `threadwal: skipped 3 bad lines: app.wal.1 at byte 120 (2 lines), app.wal at byte 400` */
export function formatSkips(skipped: number, skips: readonly SkippedRun[]): string {
  const shown = skips.slice(0, 5).map((r) => `${segName(r.file)} at byte ${r.offset}${r.lines > 1 ? ` (${r.lines} lines)` : ''}`);
  const listed = skips.slice(0, 5).reduce((n, r) => n + r.lines, 0);
  return `threadwal: skipped ${plural(skipped, 'bad line')}: ${shown.join(', ')}${listed < skipped ? ', …' : ''}`;
}

const PROGRESS_EVERY = 4096;

/** Prints the events of `path` from `fromSeq`; resolves with how many were printed. */
export async function printRecords(path: string, opts: PrintOptions): Promise<number> {
  const { readWal } = await import('@threadwal/maintenance');
  const out = new Output();
  const ac = new AbortController();
  out.onClose(() => ac.abort());
  const signal = opts.signal ? AbortSignal.any([opts.signal, ac.signal]) : ac.signal;
  const format = formatter(opts.format);
  const bar = opts.progressBytes === undefined ? undefined : startProgress('cat', opts.progressBytes);
  // readWal yields records, not offsets: the bar counts each event's line length, which
  // is its size on disk for the ASCII lines the writer produces.
  let bytes = 0;
  let count = 0;
  let onSkips = (): string => '';
  try {
    const reader = readWal(path, { fromSeq: opts.fromSeq, follow: opts.follow, signal, onCorrupt: opts.skipBad ? 'skip' : 'throw' });
    onSkips = () => reader.skipped > 0 ? `${formatSkips(reader.skipped, reader.skips)}\n` : '';
    for await (const record of reader) {
      if (opts.filter && !opts.filter(record as WalRecord)) continue;
      const line = format(record as WalRecord);
      if (line === null) continue;
      if (bar) {
        bytes += (opts.format === 'json' ? line.length : formatJson(record as WalRecord).length) + 1;
        if (++count % PROGRESS_EVERY === 0) bar.update(bytes);
      } else {
        count++;
      }
      await out.line(line);
      if (out.closed) break;
    }
  } finally {
    bar?.stop();
    await out.flush();
    process.stderr.write(onSkips());
  }
  return count;
}
