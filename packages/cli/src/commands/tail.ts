// `threadwal tail [-f] <path>`: the last events, and with -f every new one as it becomes
// durable, across rotations, until Ctrl-C (which ends it cleanly, exit 0).
import { Option, type Command } from 'commander';
import { countArg, outputFormatOptions } from '../options.js';
import { pickFormat } from '../records.js';
import { printRecords } from '../print.js';
import { pinoOptions, recordFilter, type RecordFilterOptions } from '../pino.js';
import { interruptible } from '../interrupt.js';
import { lastSeq } from '../last-seq.js';
import { requireWal } from '../wal-path.js';

const DEFAULT_LINES = 10;

interface TailOptions extends RecordFilterOptions {
  pino?: boolean;
  follow?: boolean;
  lines: number;
  fromSeq?: number;
  json?: boolean;
  pretty?: boolean;
}

export function registerTail(program: Command): void {
  const cmd = program
    .command('tail')
    .description('print the last events of a WAL; with -f, keep printing new ones (across rotations) until Ctrl-C')
    .argument('<path>', 'the WAL file')
    .option('-f, --follow', 'keep printing events as they are appended')
    .addOption(new Option('-n, --lines <n>', 'how many of the last events to print first').argParser(countArg).default(DEFAULT_LINES))
    .addOption(new Option('--from-seq <n>', 'start at this seq instead of the last events').argParser(countArg).conflicts('lines'));
  for (const o of outputFormatOptions('one stored JSON line per event (the default in a pipe)', 'aligned columns for people (the default on a terminal)')) cmd.addOption(o);
  for (const o of pinoOptions()) cmd.addOption(o);
  cmd
    .addHelpText('after', '\nExamples:\n  threadwal tail -f app.wal\n  threadwal tail -n 100 app.wal --json\n  threadwal tail -f app.wal --pino --job job-1 | pino-pretty')
    .action(async (input: string, opts: TailOptions) => {
      const path = requireWal(input);
      if (opts.fromSeq === undefined && opts.lines === 0 && !opts.follow) return;
      // Seqs are gapless, so the last n events start n below the next seq.
      const fromSeq = opts.fromSeq ?? Math.max(0, lastSeq(path) + 1 - opts.lines);
      const follow = opts.follow === true;
      // Ctrl-C is how a follower ends: the read stops and the command exits 0.
      await interruptible((signal) => printRecords(path, { fromSeq, follow, format: pickFormat(opts), signal, filter: recordFilter(opts) }), () => undefined);
    });
}
