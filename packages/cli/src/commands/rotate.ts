// `threadwal rotate <path>`: the seed's rotate, safe with live writers (maintenance takes
// the writers' lock): `{path}` → `{path}.1`, shifting older ones, keeping --keep of them.
import { Option, type Command } from 'commander';
import { countArg, sizeArg, SIZE_HELP } from '../options.js';
import { requireWal } from '../wal-path.js';
import { formatSize } from '../units.js';
import { fmtInt, plural, segName } from '../report.js';
import { addRetentionOptions, formatRetention, retentionPolicy, type RetentionCliOptions } from '../retention-options.js';
import { formatCompress } from './compress.js';

const DEFAULT_KEEP = 5;

interface RotateCliOptions extends RetentionCliOptions {
  maxSize?: number;
  keep: number;
  compress?: boolean;
  json?: boolean;
}

export function registerRotate(program: Command): void {
  const cmd = program
    .command('rotate')
    .description('move the active file to <path>.1 (shifting older segments) and start a fresh one')
    .argument('<path>', 'the WAL file')
    .addOption(new Option('--max-size <size>', 'rotate only once the active file is at least this big (default: rotate now)').argParser(sizeArg))
    .addOption(new Option('--keep <n>', 'rotated segments to keep; older ones are deleted').argParser(countArg).default(DEFAULT_KEEP))
    .option('--compress', 'gzip the rotated segments afterwards (<path>.N.gz)')
    .option('--json', 'print the result as JSON');
  addRetentionOptions(cmd)
    .addHelpText('after', `\n${SIZE_HELP}.\nSafe while writers append: it takes their lock, and seqs continue in the fresh file.\n\nExamples:\n  threadwal rotate app.wal --max-size 64MiB --keep 5\n  threadwal rotate app.wal --keep 100 --max-segment-age 14d --max-total-size 10GiB --compress`)
    .action(async (input: string, opts: RotateCliOptions) => {
      const path = requireWal(input, { allowMissing: true });
      const { rotate } = await import('@threadwal/maintenance');
      const retention = retentionPolicy(opts);
      const r = await rotate(path, opts.maxSize ?? 0, opts.keep, { ...(retention ? { retention } : {}), ...(opts.compress ? { compress: 'gzip' as const } : {}) });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const name = segName(path);
      const lines: string[] = [];
      if (r.missing) {
        lines.push(`not rotated: no WAL at ${path} (nothing to rotate)`);
      } else if (r.rotated) {
        lines.push(`rotated ${name} (${formatSize(r.size)}) to ${name}.1; the next event gets seq ${fmtInt(r.nextSeq)}`);
      } else if (r.size === 0) {
        lines.push(`not rotated: ${name} is empty`);
      } else {
        lines.push(`not rotated: ${name} is ${formatSize(r.size)}, under --max-size ${formatSize(opts.maxSize ?? 0)}`);
      }
      if (r.tornBytes > 0) lines.push(`cut a torn tail of ${plural(r.tornBytes, 'byte')} first`);
      if (r.droppedSegments > 0) lines.push(`deleted ${plural(r.droppedSegments, 'old segment')} to keep ${opts.keep}`);
      if (r.sweptTemps > 0) lines.push(`removed ${plural(r.sweptTemps, 'temp file')} left by killed processes`);
      if (r.retention) lines.push(...formatRetention(r.retention));
      if (r.compress) lines.push(formatCompress(r.compress));
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
