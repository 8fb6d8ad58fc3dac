// How `cat` and `tail` print an event: the stored JSON line (`--json`), or one aligned
// line for people (`--pretty`): seq, UTC time, type, job, capability, then the rest.
import type { WalRecord } from '@threadwal/client';
import { formatPino } from './pino.js';

export type RecordFormat = 'json' | 'pretty' | 'pino';

/** `--json` / `--pretty` as given, else pretty on a terminal and JSON lines in a pipe (like ls). */
export function pickFormat(opts: { json?: boolean; pretty?: boolean; pino?: boolean }, stream: { isTTY?: boolean } = process.stdout): RecordFormat {
  if (opts.pino) return 'pino';
  if (opts.json) return 'json';
  if (opts.pretty) return 'pretty';
  return stream.isTTY ? 'pretty' : 'json';
}

/** The record as the writer wrote it: JSON.parse keeps key order, so this is the stored line. */
export function formatJson(r: WalRecord): string {
  return JSON.stringify(r);
}

const TYPE_WIDTH = 16;

/** `     42  2024-05-15 20:53:20Z  job_started       job-1  FileRead  output={…}` */
export function formatPretty(r: WalRecord): string {
  const time = Number.isSafeInteger(r.ts) ? new Date(r.ts * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z') : String(r.ts);
  let line = `${String(r.seq).padStart(8)}  ${time}  ${r.type.padEnd(TYPE_WIDTH)}  ${r.job_id}`;
  if (r.capability != null) line += `  ${r.capability}`;
  for (const key of Object.keys(r)) {
    switch (key) {
      case 'seq':
      case 'ts':
      case 'type':
      case 'job_id':
      case 'capability':
        continue;
      default: {
        const v = r[key];
        if (v !== undefined) line += `  ${key}=${JSON.stringify(v)}`;
      }
    }
  }
  return line;
}

/** The line to print for a record; null: skip it (--pino, for a record with no pino line). */
export function formatter(format: RecordFormat): (r: WalRecord) => string | null {
  if (format === 'pino') return formatPino;
  return format === 'json' ? formatJson : formatPretty;
}
