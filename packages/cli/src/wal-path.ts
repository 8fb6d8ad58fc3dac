// The WAL a user named on the command line: `{path}` plus its rotated segments `{path}.N`
// (the naming of DESIGN.md). Checked up front so that a typo gives one clear line
// instead of an empty result or an error from deep inside a reader.
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { CliError } from './errors.js';

export interface SegmentInfo {
  path: string;
  /** 0 for the active file, N for `{path}.N`. */
  index: number;
  size: number;
}

/** Segments that exist now, in reading order: `.N … .1`, then `{path}`. */
export function listSegments(path: string): SegmentInfo[] {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    names = [];
  }
  const indexes = new Set<number>();
  for (const name of names) {
    // `{path}.N.gz` is a compressed rotated segment (issue 13)
    const m = name.startsWith(prefix) ? /^([1-9][0-9]{0,8})(?:\.gz)?$/.exec(name.slice(prefix.length)) : null;
    if (m) indexes.add(Number(m[1]));
  }
  const out: SegmentInfo[] = [];
  for (const index of [...[...indexes].sort((a, b) => b - a), 0]) {
    const p = index === 0 ? path : `${path}.${index}`;
    const st = statSync(p, { throwIfNoEntry: false }) ?? (index === 0 ? undefined : statSync(`${p}.gz`, { throwIfNoEntry: false }));
    const file = index !== 0 && !statSync(p, { throwIfNoEntry: false }) ? `${p}.gz` : p;
    if (st?.isFile()) out.push({ path: file, index, size: st.size });
  }
  return out;
}

/** Total bytes of a WAL's segments. */
export function totalBytes(segments: SegmentInfo[]): number {
  return segments.reduce((n, s) => n + s.size, 0);
}

/** The absolute path of an existing WAL (its active file or a rotated segment); one-line error otherwise. */
export function requireWal(input: string): string {
  const path = resolve(input);
  const st = statSync(path, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new CliError(`${input} is a directory, not a WAL file (EISDIR)`);
  if (!st && listSegments(path).length === 0) throw new CliError(`no such WAL: ${input} (ENOENT)`);
  return path;
}
