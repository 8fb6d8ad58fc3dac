// The retention options `rotate` and `cleanup` share (human units), and how a retention
// result is printed. A cursor the size cap read past is also said on stderr, by the library.
import { Option, type Command } from 'commander';
import type { RetentionOptions, RetentionResult } from '@threadwal/maintenance';
import { countArg, durationArg, sizeArg } from './options.js';
import { formatSize } from './units.js';
import { fmtInt, plural } from './report.js';

export interface RetentionCliOptions {
  maxSegments?: number;
  maxSegmentAge?: number;
  maxTotalSize?: number;
  untilCommitted?: string[];
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Adds --max-segments, --max-segment-age, --max-total-size and --until-committed to `cmd`. */
export function addRetentionOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--max-segments <n>', 'retention: keep at most this many rotated segments').argParser(countArg))
    .addOption(new Option('--max-segment-age <duration>', 'retention: delete rotated segments whose newest event is older').argParser(durationArg))
    .addOption(new Option('--max-total-size <size>', 'retention: keep all segments together at most this big (wins over --until-committed)').argParser(sizeArg))
    .addOption(new Option('--until-committed <cursor>', 'retention: keep what this consumer cursor has not committed (repeatable)').argParser(collect));
}

/** The policy the options describe, or undefined when none was given. */
export function retentionPolicy(o: RetentionCliOptions): RetentionOptions | undefined {
  const p: RetentionOptions = {};
  if (o.maxSegments !== undefined) p.maxSegments = o.maxSegments;
  if (o.maxSegmentAge !== undefined) p.maxAge = Math.round(o.maxSegmentAge);
  if (o.maxTotalSize !== undefined) p.maxTotalBytes = o.maxTotalSize;
  if (o.untilCommitted?.length) p.retain = { untilCommitted: o.untilCommitted };
  return Object.keys(p).length > 0 ? p : undefined;
}

/** Human lines for a retention result. */
export function formatRetention(r: RetentionResult): string[] {
  const out = [`retention: deleted ${plural(r.deletedSegments, 'segment')} (${formatSize(r.deletedBytes)}, ${plural(r.removedEvents, 'event')}); ${fmtInt(r.keptSegments)} rotated kept, ${formatSize(r.totalBytes)} in all`];
  if (r.heldByCursors > 0) out.push(`retention: ${plural(r.heldByCursors, 'segment')} kept for cursors that have not committed them`);
  for (const f of r.forcedPastCursors) out.push(`retention: --max-total-size deleted seqs ${fmtInt(f.lostFromSeq)}..${fmtInt(f.lostToSeq)} that cursor ${f.cursor} had not committed`);
  if (r.overBudget) out.push('retention: the active file alone is over --max-total-size (rotate it first)');
  return out;
}
