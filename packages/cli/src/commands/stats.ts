// `threadwal stats <path>`: segments and sizes, events, seq and time range, events per type.
// verify (in maintenance's pool) gives the segments, seqs and health while this thread
// reads the events for their types and times: two readers, two cores.
import type { Command } from 'commander';
import type { VerifyReport } from '@threadwal/maintenance';
import { startProgress } from '../progress.js';
import { interruptible } from '../interrupt.js';
import { requireWal, listSegments, totalBytes } from '../wal-path.js';
import { formatDuration, formatSize } from '../units.js';
import { fmtInt, fmtTime, orNull, plural, rows, segName, segmentJson, table } from '../report.js';

/** What a pass over the events gathers. */
export interface EventTally {
  firstTs: number;
  lastTs: number;
  types: Map<string, number>;
}

export interface WalStatsReport {
  path: string;
  bytes: number;
  events: number;
  /** null when there is no event. */
  firstSeq: number | null;
  lastSeq: number | null;
  /** The seq the next event will get (seqs are never reused, even after cleanup). */
  nextSeq: number;
  /** Oldest and newest ts (Unix seconds), null when there is no event. */
  firstTs: number | null;
  lastTs: number | null;
  /** verify's segments, with null seqs for a segment without events. */
  segments: Array<ReturnType<typeof segmentJson<VerifyReport['segments'][number]>>>;
  types: Record<string, number>;
  /** verify's verdict: problems found (bad lines, gaps, duplicates, out of order). */
  problems: number;
  tornTailBytes: number;
}

const PROGRESS_EVERY = 4096;

/** Counts types and the time range; `onBytes` (for the bar) gets the bytes read so far. */
async function tally(path: string, signal: AbortSignal, onBytes?: (bytes: number) => void): Promise<EventTally> {
  const { readWal } = await import('@threadwal/maintenance');
  const t: EventTally = { firstTs: Infinity, lastTs: -Infinity, types: new Map() };
  let bytes = 0;
  let n = 0;
  // Bad lines are verify's business here: skip them so that stats still describes the rest.
  for await (const r of readWal(path, { onCorrupt: 'skip', signal })) {
    if (r.ts < t.firstTs) t.firstTs = r.ts;
    if (r.ts > t.lastTs) t.lastTs = r.ts;
    t.types.set(r.type, (t.types.get(r.type) ?? 0) + 1);
    if (onBytes) {
      // readWal yields records, not offsets; the re-serialized line is the stored one for
      // the ASCII lines the writer produces.
      bytes += JSON.stringify(r).length + 1;
      if (++n % PROGRESS_EVERY === 0) onBytes(bytes);
    }
  }
  if (signal.aborted) throw signal.reason;
  return t;
}

export function registerStats(program: Command): void {
  program
    .command('stats')
    .description('segments and sizes, events, seq and time range, events per type')
    .argument('<path>', 'the WAL file')
    .option('--json', 'print the figures as JSON')
    .action(async (input: string, opts: { json?: boolean }) => {
      const path = requireWal(input);
      const { verify } = await import('@threadwal/maintenance');
      const bar = opts.json ? undefined : startProgress('stats', totalBytes(listSegments(path)));
      // The bar shows the slower of the two readers.
      let verified = 0;
      let read = 0;
      const show = (): void => bar?.update(Math.min(verified, read));
      let report: VerifyReport;
      let t: EventTally;
      try {
        [report, t] = await interruptible((signal) => Promise.all([
          verify(path, { signal, onProgress: (p) => { verified = p.bytesDone; show(); } }),
          tally(path, signal, bar && ((b) => { read = b; show(); })),
        ]));
      } finally {
        bar?.stop();
      }
      const stats: WalStatsReport = {
        path: report.path,
        bytes: report.bytes,
        events: report.events,
        firstSeq: orNull(report.firstSeq),
        lastSeq: orNull(report.lastSeq),
        nextSeq: Math.max(report.lastSeq + 1, report.metaNextSeq),
        firstTs: t.types.size ? t.firstTs : null,
        lastTs: t.types.size ? t.lastTs : null,
        segments: report.segments.map(segmentJson),
        types: Object.fromEntries([...t.types].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
        problems: report.counts.badLines + report.counts.gaps + report.counts.duplicates + report.counts.outOfOrder,
        tornTailBytes: report.tornTailBytes,
      };
      process.stdout.write(opts.json ? `${JSON.stringify(stats, null, 2)}\n` : formatStats(stats));
    });
}

/** The human report. */
export function formatStats(s: WalStatsReport): string {
  const out: string[] = [s.path];
  const segs = s.segments.map((g) => [
    segName(g.path),
    formatSize(g.size),
    `${fmtInt(g.events)} events`,
    g.firstSeq !== null && g.lastSeq !== null ? `seq ${fmtInt(g.firstSeq)} … ${fmtInt(g.lastSeq)}` : '',
  ]);
  const summary: Array<[string, string]> = [
    ['segments', `${s.segments.length}, ${formatSize(s.bytes)} in all`],
  ];
  out.push(rows(summary, '  '));
  if (segs.length) out.push(table(segs, 'lrrl', '    '));
  const more: Array<[string, string]> = [
    ['events', fmtInt(s.events)],
    ['seq', `${s.firstSeq !== null && s.lastSeq !== null ? `${fmtInt(s.firstSeq)} … ${fmtInt(s.lastSeq)}` : 'none'}, next ${fmtInt(s.nextSeq)}`],
    ['time', s.firstTs !== null && s.lastTs !== null ? `${fmtTime(s.firstTs)} … ${fmtTime(s.lastTs)} (${formatDuration(s.lastTs - s.firstTs)})` : 'none'],
    ['health', s.problems ? `${plural(s.problems, 'problem')}: run \`threadwal verify ${s.path}\`` : 'clean'],
  ];
  if (s.tornTailBytes) more.push(['torn tail', `${plural(s.tornTailBytes, 'byte')} (cut on the next open)`]);
  out.push(rows(more.map(([l, v]) => [l.padEnd('segments'.length), v]), '  '));
  const types = Object.entries(s.types);
  if (types.length) {
    out.push('  events per type');
    const total = types.reduce((n, [, c]) => n + c, 0);
    out.push(table(types.map(([type, c]) => [type, fmtInt(c), `${((100 * c) / total).toFixed(1)}%`]), 'lrr', '    '));
  }
  return `${out.join('\n')}\n`;
}
