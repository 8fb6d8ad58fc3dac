// `threadwal verify <path>`: reads every segment and reports bad lines, gaps, duplicates and
// out-of-order seqs with their file and byte offset. Exit 1 when the log is not clean.
import { Option, type Command } from 'commander';
import type { VerifyReport } from '@threadwal/maintenance';
import { EXIT_FAILURE } from '../errors.js';
import { positiveCountArg } from '../options.js';
import { startProgress } from '../progress.js';
import { interruptible } from '../interrupt.js';
import { requireWal, listSegments, totalBytes } from '../wal-path.js';
import { formatSize } from '../units.js';
import { fmtInt, orNull, plural, rows, segName, segmentJson, table } from '../report.js';

interface VerifyCliOptions {
  deep?: boolean;
  json?: boolean;
  maxIssues?: number;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check every segment of a WAL: bad lines, seq gaps, duplicates, order; exit 1 when not clean')
    .argument('<path>', 'the WAL file')
    .option('--deep', 'JSON.parse every line instead of checking its shape')
    .option('--json', 'print the report as JSON')
    .addOption(new Option('--max-issues <n>', 'most problems listed per kind (counts stay exact; default 100)').argParser(positiveCountArg))
    .addHelpText('after', '\nA torn tail (an unfinished last line, cut on the next open) is reported but is not an error.')
    .action(async (input: string, opts: VerifyCliOptions) => {
      const path = requireWal(input);
      const { verify } = await import('@threadwal/maintenance');
      const bar = opts.json ? undefined : startProgress('verify', totalBytes(listSegments(path)));
      let report: VerifyReport;
      try {
        report = await interruptible((signal) => verify(path, {
          deep: opts.deep === true,
          signal,
          onProgress: (p) => bar?.update(p.bytesDone, p.bytesTotal),
          ...(opts.maxIssues !== undefined ? { maxIssues: opts.maxIssues } : {}),
        }));
      } finally {
        bar?.stop();
      }
      process.stdout.write(opts.json ? `${JSON.stringify(verifyJson(report), null, 2)}\n` : formatVerify(report));
      if (!report.ok) process.exitCode = EXIT_FAILURE;
    });
}

/** The report as JSON: `null`, not -1, for the seqs of a log or segment without events. */
export function verifyJson(r: VerifyReport): object {
  return { ...r, firstSeq: orNull(r.firstSeq), lastSeq: orNull(r.lastSeq), segments: r.segments.map(segmentJson) };
}

/** The human report: a summary, then every problem with its file and byte offset. */
export function formatVerify(r: VerifyReport): string {
  const problems = r.counts.badLines + r.counts.gaps + r.counts.duplicates + r.counts.outOfOrder;
  const out: string[] = [];
  out.push(`${r.path}: ${r.ok ? 'clean' : `NOT CLEAN (${plural(problems, 'problem')})`}`);
  const seqs = r.events === 0 ? 'none' : `${fmtInt(r.firstSeq)} … ${fmtInt(r.lastSeq)}`;
  const summary: Array<[string, string]> = [
    ['segments', `${r.segments.length}${r.segments.length ? ` (${r.segments.map((s) => segName(s.path)).join(', ')})` : ''}`],
    ['events', fmtInt(r.events)],
    ['seq', seqs],
    ['bytes', formatSize(r.bytes)],
  ];
  if (r.tornTailBytes > 0) summary.push(['torn tail', `${plural(r.tornTailBytes, 'byte')} at the end of ${segName(r.path)} (cut on the next open; not an error)`]);
  if (r.tempFiles.length > 0) summary.push(['temp files', `${r.tempFiles.map(segName).join(', ')} (left by a cleanup; ignored by readers)`]);
  out.push(rows(summary, '  '));
  if (problems > 0) {
    const lines: string[][] = [];
    const at = (file: string, offset: number): string[] => [segName(file), 'at byte', String(offset)];
    for (const b of r.badLines) lines.push(['bad line', ...at(b.file, b.offset), b.checksum ? `checksum mismatch (crc32c expected ${b.checksum.expected}, actual ${b.checksum.actual})` : 'does not parse']);
    for (const g of r.gaps) lines.push(['gap', ...at(g.file, g.offset), g.from === g.to ? `seq ${g.from} missing` : `seqs ${g.from}…${g.to} missing (${fmtInt(g.to - g.from + 1)})`]);
    for (const d of r.duplicates) lines.push(['duplicate', ...at(d.file, d.offset), `seq ${d.seq} again`]);
    for (const o of r.outOfOrder) lines.push(['out of order', ...at(o.file, o.offset), `seq ${o.seq} after ${o.prev}`]);
    out.push('problems:');
    out.push(table(lines, 'llrl'));
    const listed = r.badLines.length + r.gaps.length + r.duplicates.length + r.outOfOrder.length;
    if (listed < problems) out.push(`  … and ${fmtInt(problems - listed)} more (use --max-issues to list more)`);
  }
  return `${out.join('\n')}\n`;
}
