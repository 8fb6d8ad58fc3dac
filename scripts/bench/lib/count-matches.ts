// Counts occurrences of byte patterns in files, streaming (a log of a few hundred MB must not
// be read whole): how the real-server group checks that every served request's lines are in
// the log, in a plain NDJSON file and in a WAL (whose records hold each pino line verbatim).
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** How many times each pattern occurs in all the files directly in `dir`. */
export function countInDir(dir: string, patterns: readonly string[]): number[] {
  const counts = patterns.map(() => 0);
  const needles = patterns.map((p) => Buffer.from(p));
  const keep = Math.max(...needles.map((n) => n.length)) - 1;
  const chunk = Buffer.allocUnsafe(4 * 1024 * 1024 + keep);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const fd = openSync(path, 'r');
    try {
      let carry = 0; // bytes kept from the previous read (a pattern may straddle reads)
      for (;;) {
        const n = readSync(fd, chunk, carry, chunk.length - carry, null);
        if (n === 0) break;
        const end = carry + n;
        const view = chunk.subarray(0, end);
        needles.forEach((needle, k) => {
          // Matches that end inside the carried bytes were counted by the previous read.
          for (let i = view.indexOf(needle); i !== -1; i = view.indexOf(needle, i + 1)) {
            if (i + needle.length > carry) counts[k]! += 1;
          }
        });
        carry = Math.min(keep, end);
        chunk.copy(chunk, 0, end - carry, end);
      }
    } finally {
      closeSync(fd);
    }
  }
  return counts;
}
