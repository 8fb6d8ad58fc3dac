// `threadwal compress <path>`: gzip the rotated segments in maintenance's pool, crash-safe
// (temp + fsync + rename, then the plain one removed); every reader reads `.N.gz` as it is.
import { Option, type Command } from 'commander';
import type { CompressResult } from '@threadwal/maintenance';
import { InvalidArgumentError } from 'commander';
import { startProgress } from '../progress.js';
import { interruptible } from '../interrupt.js';
import { requireWal, listSegments, totalBytes } from '../wal-path.js';
import { formatRate, formatSize } from '../units.js';
import { plural } from '../report.js';

const level = (s: string): number => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 9) throw new InvalidArgumentError('The level must be a whole number from 1 to 9.');
  return n;
};

export function registerCompress(program: Command): void {
  program
    .command('compress')
    .description('gzip the rotated segments (<path>.N → <path>.N.gz); readers read them transparently')
    .argument('<path>', 'the WAL file')
    .addOption(new Option('--level <n>', 'gzip level, 1 (fastest) to 9 (smallest)').argParser(level).default(1))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nSafe while writers append; the active file is never compressed. A crash leaves the plain\nsegment or the finished .gz, never neither.\n\nExample:\n  threadwal compress app.wal --level 1')
    .action(async (input: string, opts: { level: number; json?: boolean }) => {
      const path = requireWal(input);
      const { compress } = await import('@threadwal/maintenance');
      const plain = listSegments(path).filter((s) => s.index > 0 && !s.path.endsWith('.gz'));
      const bar = opts.json ? undefined : startProgress('compress', totalBytes(plain));
      let r: CompressResult;
      try {
        r = await interruptible((signal) => compress(path, { level: opts.level, signal, onProgress: (p) => bar?.update(p.bytesDone, p.bytesTotal) }));
      } finally {
        bar?.stop();
      }
      process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : `${formatCompress(r)}\n`);
    });
}

export function formatCompress(r: CompressResult): string {
  if (r.compressedSegments === 0 && r.finishedSegments === 0) return 'nothing to compress: no plain rotated segment';
  const lines = [`compressed ${plural(r.compressedSegments, 'segment')}: ${formatSize(r.bytesIn)} → ${formatSize(r.bytesOut)} (ratio ${r.ratio.toFixed(1)}, ${r.mbPerSec > 0 ? formatRate(r.mbPerSec * 1e6, 1) : '-'})`];
  if (r.finishedSegments > 0) lines.push(`finished ${plural(r.finishedSegments, 'segment')} an interrupted compress had left`);
  if (r.noSpaceSegments > 0) lines.push(`left ${plural(r.noSpaceSegments, 'segment')} plain: no room for the compressed copy`);
  if (r.sweptTemps > 0) lines.push(`removed ${plural(r.sweptTemps, 'temp file')} left by killed processes`);
  return lines.join('\n');
}
