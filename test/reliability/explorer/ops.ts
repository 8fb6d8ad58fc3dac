// Crash-state explorer: the persistent operations a trace becomes (fs-ops.ts makes them,
// crash-states.ts builds states from them), and which system calls are traced.
import { retNum, type Syscall } from './trace-parse.js';

export type Op =
  /** An inode linked as `name` in directory `dir`: a new one (O_CREAT that created, mkdir) or, for link(2), an existing file. */
  | { k: 'link'; dir: number; name: string; ino: number; isDir: boolean }
  /** rename within one directory; replaces `to` if it exists. */
  | { k: 'rename'; dir: number; from: string; to: string }
  /** unlink or rmdir. */
  | { k: 'unlink'; dir: number; name: string }
  | { k: 'write'; ino: number; off: number; data: Buffer }
  | { k: 'trunc'; ino: number; len: number }
  /** fsync/fdatasync: a file's data and size, or a directory's entries, are durable. */
  | { k: 'sync'; ino: number }
  /** A `@@TW …` line the workload wrote to stdout. */
  | { k: 'marker'; text: string };

export interface OpsTrace {
  ops: Op[];
  /** For messages: what each op was (`write wal @120+51 (pid 123)`). */
  what: string[];
  /** Inode ids of directories (the root is 0). */
  dirs: Set<number>;
  /** Every inode (files and directories). */
  inodes: number;
  /** Overlapping calls applied in the order their results require rather than the order printed. */
  reordered: number;
}

/** Calls this model handles. Anything else touching the root throws (see UNMODELED). */
export const TRACED_SYSCALLS = [
  'open', 'openat', 'creat', 'write', 'pwrite64', 'writev', 'pwritev', 'pwritev2', 'fsync', 'fdatasync',
  'rename', 'renameat', 'renameat2', 'unlink', 'unlinkat', 'mkdir', 'mkdirat', 'rmdir', 'ftruncate', 'truncate',
  'close', 'lseek', 'dup', 'dup2', 'dup3', 'clone', 'clone3', 'fork', 'vfork', 'link', 'linkat',
];
/** Traced only to refuse them: their effect on the root's files is not modeled. */
export const UNMODELED = ['symlink', 'symlinkat', 'fallocate', 'copy_file_range', 'sendfile', 'splice', 'sync', 'syncfs', 'sync_file_range', 'msync', 'io_uring_setup', 'io_uring_enter'];

/** tid → fd-table key: threads (CLONE_FILES) share their parent's table, processes get their own. */
export function fdTables(calls: readonly Syscall[]): Map<number, number> {
  const table = new Map<number, number>();
  const of = (tid: number): number => table.get(tid) ?? tid;
  for (const c of calls) {
    if (c.name !== 'clone' && c.name !== 'clone3' && c.name !== 'fork' && c.name !== 'vfork') continue;
    const child = retNum(c.ret);
    if (child <= 0) continue;
    const shared = c.args.some((a) => /CLONE_FILES/.test(a));
    table.set(child, shared ? of(c.tid) : child);
  }
  return table;
}
