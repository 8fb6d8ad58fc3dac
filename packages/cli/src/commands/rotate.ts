// `threadwal rotate <path>`: the seed's rotate, safe with live writers (maintenance takes
// the writers' lock): `{path}` → `{path}.1`, shifting older ones, keeping --keep of them.
import { Option, type Command } from 'commander';
import { countArg, sizeArg, SIZE_HELP } from '../options.js';
import { requireWal } from '../wal-path.js';
import { formatSize } from '../units.js';
import { fmtInt, plural, segName } from '../report.js';

const DEFAULT_KEEP = 5;

interface RotateCliOptions {
  maxSize?: number;
  keep: number;
  json?: boolean;
}

export function registerRotate(program: Command): void {
  program
    .command('rotate')
    .description('move the active file to <path>.1 (shifting older segments) and start a fresh one')
    .argument('<path>', 'the WAL file')
    .addOption(new Option('--max-size <size>', 'rotate only once the active file is at least this big (default: rotate now)').argParser(sizeArg))
    .addOption(new Option('--keep <n>', 'rotated segments to keep; older ones are deleted').argParser(countArg).default(DEFAULT_KEEP))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `\n${SIZE_HELP}.\nSafe while writers append: it takes their lock, and seqs continue in the fresh file.\n\nExample:\n  threadwal rotate app.wal --max-size 64MiB --keep 5`)
    .action(async (input: string, opts: RotateCliOptions) => {
      const path = requireWal(input);
      const { rotate } = await import('@threadwal/maintenance');
      const r = await rotate(path, opts.maxSize ?? 0, opts.keep);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const name = segName(path);
      const lines: string[] = [];
      if (r.rotated) {
        lines.push(`rotated ${name} (${formatSize(r.size)}) to ${name}.1; the next event gets seq ${fmtInt(r.nextSeq)}`);
      } else if (r.size === 0) {
        lines.push(`not rotated: ${name} is empty`);
      } else {
        lines.push(`not rotated: ${name} is ${formatSize(r.size)}, under --max-size ${formatSize(opts.maxSize ?? 0)}`);
      }
      if (r.tornBytes > 0) lines.push(`cut a torn tail of ${plural(r.tornBytes, 'byte')} first`);
      if (r.droppedSegments > 0) lines.push(`deleted ${plural(r.droppedSegments, 'old segment')} to keep ${opts.keep}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
