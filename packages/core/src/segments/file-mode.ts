// Permissions of the files a WAL is made of. The writer's `mode` option sets them on the files
// it creates; every other file takes the mode of the file it replaces or derives from (a
// compressed or rewritten segment its plain one's, a cursor or ship checkpoint the WAL's), set
// exactly with fchmod, so that a log made 0600 stays 0600 whichever process (the app, the CLI
// from cron with another umask) creates the next file.
import { fsSeam } from '../util/fs-seam.js';

/** The permission bits of `p` (symlinks followed), undefined when it does not exist. */
export function modeOf(p: string): number | undefined {
  const st = fsSeam.statSync(p);
  return st === undefined ? undefined : st.mode & 0o7777;
}

/** The mode of the WAL at `path`: its active file's, else its `.meta`'s; undefined when neither exists. */
export function walFileMode(path: string): number | undefined {
  return modeOf(path) ?? modeOf(`${path}.meta`);
}
