// `threadwal tail [-f] <path>`: the last events, and with -f every new one as it becomes
// durable, across rotations, until Ctrl-C or SIGTERM (one line on stderr, exit 130 or 143,
// as any command a signal ended). Like `tail -F`, -f waits for a WAL that does not exist yet.
import { Option, type Command } from 'commander';
import { countArg, outputFormatOptions } from '../options.js';
import { pickFormat } from '../records.js';
import { printRecords } from '../print.js';
import { pinoOptions, recordFilter, type RecordFilterOptions } from '../pino.js';
import { interruptible } from '../interrupt.js';
import { lastSeq } from '../last-seq.js';
import { walExists } from '@threadwal/core/wal-path';
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
      const follow = opts.follow === true;
      const path = requireWal(input, { allowMissing: follow });
      if (opts.fromSeq === undefined && opts.lines === 0 && !follow) return;
      if (!walExists(path)) process.stderr.write(`threadwal: no WAL at ${input} yet: waiting for it to appear\n`);
      // Seqs are gapless, so the last n events start n below the next seq.
      const fromSeq = opts.fromSeq ?? Math.max(0, lastSeq(path) + 1 - opts.lines);
      await interruptible(async (signal) => {
        // readWal ends quietly when aborted; the command still reports the signal (exit 130).
        await printRecords(input, { fromSeq, follow, format: pickFormat(opts), signal, filter: recordFilter(opts) });
        if (signal.aborted) throw signal.reason;
      });
    });
}
