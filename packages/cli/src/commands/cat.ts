// `threadwal cat <path>`: every event, oldest first, across the rotated segments.
import { Option, type Command } from 'commander';
import { countArg, outputFormatOptions } from '../options.js';
import { pickFormat } from '../records.js';
import { printRecords } from '../print.js';
import { pinoOptions, recordFilter, type RecordFilterOptions } from '../pino.js';
import { requireWal, listSegments, totalBytes } from '../wal-path.js';

/** Below this, reading is over before a bar could help. */
const PROGRESS_MIN_BYTES = 16 * 1024 * 1024;

interface CatOptions extends RecordFilterOptions {
  pino?: boolean;
  fromSeq?: number;
  skipBad?: boolean;
  json?: boolean;
  pretty?: boolean;
}

export function registerCat(program: Command): void {
  const cmd = program
    .command('cat')
    .description('print the events of a WAL, oldest first, across its rotated segments')
    .argument('<path>', 'the WAL file (its rotated segments <path>.N are read first)')
    .addOption(new Option('--from-seq <n>', 'start at the event with this seq').argParser(countArg))
    .option('--skip-bad', 'skip lines that do not parse instead of stopping there; say on stderr how many and where');
  for (const o of outputFormatOptions('one stored JSON line per event (the default in a pipe)', 'aligned columns for people (the default on a terminal)')) cmd.addOption(o);
  for (const o of pinoOptions()) cmd.addOption(o);
  cmd
    .addHelpText('after', '\nA line that does not parse stops the output with its file and byte offset (exit 1), unless --skip-bad.\n\nExamples:\n  threadwal cat app.wal --pretty | less\n  threadwal cat app.wal --from-seq 1000 | jq .job_id\n  threadwal cat app.wal --pino --min-level warn | pino-pretty\n  threadwal cat damaged.wal --skip-bad > rescued.jsonl')
    .action(async (input: string, opts: CatOptions) => {
      const path = requireWal(input);
      const format = pickFormat(opts);
      // A bar only when the events go somewhere else than the terminal it is drawn on.
      const total = totalBytes(listSegments(path));
      const progressBytes = !process.stdout.isTTY && total >= PROGRESS_MIN_BYTES ? total : undefined;
      await printRecords(path, { fromSeq: opts.fromSeq ?? 0, follow: false, format, progressBytes, filter: recordFilter(opts), skipBad: opts.skipBad === true });
    });
}
