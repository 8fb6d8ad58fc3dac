// `threadwal cleanup <path> --max-age 7d`: the seed's cleanup across every segment, safe
// with live writers, streamed in maintenance's pool. Ctrl-C cancels with nothing changed.
import { Option, type Command } from 'commander';
import type { CleanupResult } from '@threadwal/maintenance';
import { wholeSecondsArg, DURATION_HELP } from '../options.js';
import { startProgress } from '../progress.js';
import { interruptible } from '../interrupt.js';
import { requireWal, listSegments, totalBytes } from '../wal-path.js';
import { formatDuration, formatSize } from '../units.js';
import { fmtInt, fmtTime, plural, rows, segName } from '../report.js';
import { addRetentionOptions, formatRetention, retentionPolicy, type RetentionCliOptions } from '../retention-options.js';

export function registerCleanup(program: Command): void {
  const cmd = program
    .command('cleanup')
    .description('remove events older than --max-age, from the oldest end of the log')
    .argument('<path>', 'the WAL file')
    .addOption(new Option('--max-age <duration>', 'keep events at most this old').argParser(wholeSecondsArg).makeOptionMandatory())
    .option('--json', 'print the result as JSON');
  addRetentionOptions(cmd)
    .addHelpText('after', `\n${DURATION_HELP}.\nSafe while writers append. Seqs are never reused; an old event after a newer one stays.\n\nExamples:\n  threadwal cleanup app.wal --max-age 7d\n  threadwal cleanup app.wal --max-age 7d --max-total-size 20GiB --until-committed shipper`)
    .action(async (input: string, opts: RetentionCliOptions & { maxAge: number; json?: boolean }) => {
      const path = requireWal(input);
      const maxAgeSecs = opts.maxAge;
      const { cleanup } = await import('@threadwal/maintenance');
      const bar = opts.json ? undefined : startProgress('cleanup', totalBytes(listSegments(path)));
      let r: CleanupResult;
      try {
        const retention = retentionPolicy(opts);
        r = await interruptible((signal) => cleanup(path, maxAgeSecs, { signal, onProgress: (p) => bar?.update(p.bytesDone, p.bytesTotal), ...(retention ? { retention } : {}) }));
      } finally {
        bar?.stop();
      }
      process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : formatCleanup(r, maxAgeSecs));
    });
}

export function formatCleanup(r: CleanupResult, maxAgeSecs: number): string {
  const out = [`removed ${plural(r.removed, 'event')} older than ${formatDuration(maxAgeSecs)} (ts before ${fmtTime(r.cutoff)})`];
  const items: Array<[string, string]> = [
    ['segments', `${fmtInt(r.deletedSegments)} deleted, ${fmtInt(r.rewrittenSegments)} rewritten`],
    ['size', `${formatSize(r.bytesBefore)} → ${formatSize(r.bytesAfter)}`],
  ];
  if (r.sweptTemps) items.push(['temp files', `${fmtInt(r.sweptTemps)} left by killed processes removed`]);
  if (r.noSpaceSegments) items.push(['no space', `${plural(r.noSpaceSegments, 'segment')} kept old events: no room to rewrite; run cleanup again once there is`]);
  if (r.badLineCount) {
    const where = r.badLines.slice(0, 5).map((b) => `${segName(b.file)} at byte ${b.offset}`).join(', ');
    items.push(['bad lines', `${fmtInt(r.badLineCount)} kept in place (${where}${r.badLineCount > 5 ? ', …' : ''}): run \`threadwal verify\``]);
  }
  out.push(rows(items, '  '));
  if (r.retention) out.push(...formatRetention(r.retention));
  return `${out.join('\n')}\n`;
}
