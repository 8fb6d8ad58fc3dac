// `--pino`, `--min-level` and `--job` of `cat` and `tail`: records written by the pino
// destination hold the pino line under `output`; --pino prints that line again (so
// `threadwal cat app.wal --pino | pino-pretty` works), and the filters pick records by the
// pino level and the job id.
import { InvalidArgumentError, Option } from 'commander';
import type { WalRecord } from '@threadwal/client';

const LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** A pino level label (trace … fatal) or number. */
export function levelArg(s: string): number {
  const n = LEVELS[s.toLowerCase()] ?? (/^\d+$/.test(s) ? Number(s) : undefined);
  if (n === undefined) throw new InvalidArgumentError(`Not a pino level: use ${Object.keys(LEVELS).join(', ')} or a number.`);
  return n;
}

export function pinoOptions(): Option[] {
  return [
    new Option('--pino', 'print the original pino line of each record (pipe it to pino-pretty)').conflicts(['json', 'pretty']),
    new Option('--min-level <level>', 'only records of this pino level or above (trace … fatal, or a number)').argParser(levelArg),
    new Option('--job <id>', 'only records with this job_id'),
  ];
}

export interface RecordFilterOptions {
  minLevel?: number;
  job?: string;
}

/** The pino level of a record: output.level, else its type as a level label; undefined if neither. */
function levelOf(r: WalRecord): number | undefined {
  const out = r.output as { level?: unknown } | undefined;
  if (out !== null && typeof out === 'object' && typeof out.level === 'number') return out.level;
  return typeof r.type === 'string' ? LEVELS[r.type] : undefined;
}

/** The filter the options ask for, or undefined for none. */
export function recordFilter(opts: RecordFilterOptions): ((r: WalRecord) => boolean) | undefined {
  const { minLevel, job } = opts;
  if (minLevel === undefined && job === undefined) return undefined;
  return (r) => {
    if (job !== undefined && r.job_id !== job) return false;
    if (minLevel !== undefined) {
      const level = levelOf(r);
      if (level === undefined || level < minLevel) return false;
    }
    return true;
  };
}

/**
 * The pino line of a record: its `output` object as JSON (JSON.parse keeps key order, so
 * this is pino's line, except that integer-like keys move first, as JavaScript orders
 * them), or a string output (a line that was not JSON) as it was. null for a record that
 * has neither: it was not written by a pino destination, and --pino skips it.
 */
export function formatPino(r: WalRecord): string | null {
  const out = r.output;
  if (typeof out === 'string') return out;
  if (out !== null && typeof out === 'object' && !Array.isArray(out)) return JSON.stringify(out);
  return null;
}
