// The WAL a user named on the command line: `{path}` plus its rotated segments `{path}.N`
// (the naming of DESIGN.md). Checked up front so that a typo gives one clear line
// instead of an empty result or an error from deep inside a reader, or a hang.
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { metaPath, resolveWalPath, rotatedIndexes, walExists } from '@threadwal/core/wal-path';
import { CliError } from './errors.js';
import { segName } from './report.js';

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

/** What a file that is not a regular file is, and the errno that says so where there is one. */
function kind(st: Stats): string {
  if (st.isDirectory()) return 'a directory, not a WAL file (EISDIR)';
  if (st.isFIFO()) return 'a FIFO, not a WAL file';
  if (st.isSocket()) return 'a socket, not a WAL file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device, not a WAL file';
  return 'not a regular file, so not a WAL file';
}

/** Files a WAL keeps beside itself: `{base}` is the WAL, the rest of the name says what the file is. */
const SIDE_FILES: Array<[RegExp, string]> = [
  [/^(.+)\.meta$/, 'the .meta file (next seq) of the WAL'],
  [/^(.+)\.meta\.tmp-\d+-[0-9a-z]+$/, 'a temp file of the .meta of the WAL'],
  [/^(.+)\.lock$/, 'the lock of the WAL'],
  [/^(.+)\.lock\.tmp-\d+-[0-9a-f]+$/, 'a temp file of the lock of the WAL'],
  [/^(.+)\.lock\.want$/, 'the lock-wanted hint of the WAL'],
  [/^(.+)\.cleanup-\d+-[0-9a-f]+\.tmp$/, 'a temp file of a cleanup of the WAL'],
  // issue 13: gzip of a rotated segment, and the consumer cursors' directory
  [/^(.+)\.[1-9][0-9]{0,8}\.gz$/, 'a compressed rotated segment of the WAL'],
  [/^(.+)\.cursors$/, 'the consumer cursors directory of the WAL'],
  // issue 14: the shippers' checkpoints
  [/^(.+)\.ship$/, "the shippers' checkpoint directory of the WAL"],
];

/** True for a small regular file holding `{"next_seq":N}` (and the WAL id), what core writes to `{path}.meta` (space-padded when updated in place on a full disk). */
function looksLikeMeta(p: string): boolean {
  try {
    const st = statSync(p);
    return st.isFile() && st.size < 256 && /^\{"next_seq":\d+(,"id":"[0-9a-f]{32}")?\} *\n?$/.test(readFileSync(p, 'utf8'));
  } catch {
    return false;
  }
}

/** `… is the .meta file of the WAL app.wal, not a WAL` when `path` is a side file of an existing WAL. */
function sideFileOf(input: string, path: string): string | undefined {
  for (const [re, what] of SIDE_FILES) {
    const m = re.exec(basename(path));
    if (!m) continue;
    const base = join(dirname(path), m[1]!);
    // The side file itself must not be what makes `base` exist: a log is its active file,
    // a rotated segment, another side file's .meta, or (all events removed) a .meta that
    // holds a next seq.
    const isBase = statSync(base, { throwIfNoEntry: false }) !== undefined || rotatedIndexes(base).length > 0
      || (metaPath(base) !== path ? statSync(metaPath(base), { throwIfNoEntry: false }) !== undefined : looksLikeMeta(path));
    if (isBase) return `${input} is ${what} ${segName(base)}, not a WAL: name the WAL itself (${base})`;
  }
  return undefined;
}

/**
 * The resolved path (core's resolveWalPath: one path, one log) of an existing WAL, its
 * active file or a rotated segment; one-line error otherwise. Anything that is not a
 * regular file (a directory, FIFO, socket or device) is refused before it is opened, since
 * opening a FIFO would block. `allowMissing` (tail -f): a WAL that does not exist yet is fine.
 */
export function requireWal(input: string, opts: { allowMissing?: boolean } = {}): string {
  let path: string;
  try {
    path = resolveWalPath(input);
  } catch (err) {
    throw new CliError(`${input}: ${(err as Error).message}`);
  }
  const side = sideFileOf(input, path);
  if (side) throw new CliError(side);
  for (const p of [path, metaPath(path), ...rotatedIndexes(path).map((i) => `${path}.${i}`)]) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st && !st.isFile()) throw new CliError(`${p === path ? input : p} is ${kind(st)}`);
  }
  if (!opts.allowMissing && !walExists(path)) throw new CliError(`no such WAL: ${input} (ENOENT)`);
  return path;
}
