// Crash-state explorer, step 2: completed system calls → the persistent operations on the
// files and directories under one root (the workload's directory), with the workload's own
// markers in the same order. It replays the calls on a model of the namespace (directory
// inode → name → inode) and of open file descriptions (per process: inode, O_APPEND,
// offset), so every write becomes "these bytes at this offset of inode N", whatever name
// the file has by then. Calls outside the root are ignored; a call on the root's files that
// this model does not know (symlinks, fallocate, copy_file_range, io_uring…) throws, so an
// operation can never silently go missing from the states.
import { posix } from 'node:path';
import { fdArg, pathArg, strArg, iovArg, retNum, type Syscall } from './trace-parse.js';
import { applyInResultOrder } from './call-order.js';
import { fdTables, UNMODELED, type Op, type OpsTrace } from './ops.js';

const ROOT = 0;
const MARK = '@@TW ';
const O_CREAT = /\bO_CREAT\b/;
const O_TRUNC = /\bO_TRUNC\b/;
const O_APPEND = /\bO_APPEND\b/;
const O_DIRECTORY = /\bO_DIRECTORY\b/;

interface OpenFile {
  ino: number;
  append: boolean;
  off: number;
}

/** Whether an argument names a path under the root (as a string or an fd decoration). */
function touchesRoot(arg: string, within: (p: string) => string | undefined): boolean {
  try {
    if (arg.startsWith('"')) return within(pathArg(arg)) !== undefined;
    const p = fdArg(arg).path;
    return p !== undefined && within(p) !== undefined;
  } catch {
    return false;
  }
}

export function traceToOps(calls: readonly Syscall[], root: string): OpsTrace {
  const ops: Op[] = [];
  const what: string[] = [];
  const names = new Map<number, Map<string, number>>([[ROOT, new Map()]]);
  const sizes = new Map<number, number>();
  const dirs = new Set<number>([ROOT]);
  let nextIno = 1;
  const tables = fdTables(calls);
  const fds = new Map<number, Map<number, OpenFile>>();

  const within = (p: string): string | undefined => {
    const n = posix.normalize(p);
    if (n === root) return '';
    return n.startsWith(`${root}/`) ? n.slice(root.length + 1) : undefined;
  };
  /** [parent dir inode, name] of a path under the root, or undefined when a parent is not a known directory. */
  const parentOf = (rel: string): [number, string] | undefined => {
    const parts = rel.split('/');
    let dir = ROOT;
    for (const part of parts.slice(0, -1)) {
      const next = names.get(dir)?.get(part);
      if (next === undefined || !dirs.has(next)) return undefined;
      dir = next;
    }
    return [dir, parts.at(-1)!];
  };
  const inodeOf = (rel: string): number | undefined => {
    if (rel === '') return ROOT;
    const pn = parentOf(rel);
    return pn ? names.get(pn[0])?.get(pn[1]) : undefined;
  };
  const emit = (op: Op, c: Syscall, text: string): void => {
    ops.push(op);
    what.push(`${text} (tid ${c.tid}, trace line ${c.line})`);
  };
  const table = (tid: number): Map<number, OpenFile> => {
    const key = tables.get(tid) ?? tid;
    let t = fds.get(key);
    if (!t) fds.set(key, (t = new Map()));
    return t;
  };
  /** Absolute path of a path argument relative to a dirfd argument. */
  const abs = (c: Syscall, dirfdArg: string | undefined, pathA: string): string => {
    const p = pathArg(pathA);
    if (p.startsWith('/')) return p;
    const base = dirfdArg === undefined ? undefined : fdArg(dirfdArg).path;
    const dir = base;
    if (dir === undefined) throw new Error(`relative path ${p} with no known base at trace line ${c.line}`);
    return posix.join(dir, p);
  };
  const label = (ino: number): string => {
    if (ino === ROOT) return 'the root directory';
    for (const [d, m] of names) for (const [n, i] of m) if (i === ino) return d === ROOT ? n : `${label(d)}/${n}`;
    return `inode ${ino}`;
  };

  const doOpen = (c: Syscall, path: string, flags: string): void => {
    const fd = retNum(c.ret);
    if (fd < 0) return;
    const rel = within(path);
    if (rel === undefined) return;
    let ino = inodeOf(rel);
    if (ino === undefined) {
      if (!O_CREAT.test(flags)) throw new Error(`open of ${rel}, unknown to the model, without O_CREAT (trace line ${c.line})`);
      const pn = parentOf(rel);
      if (!pn) throw new Error(`create of ${rel} in an unknown directory (trace line ${c.line})`);
      ino = nextIno++;
      names.get(pn[0])!.set(pn[1], ino);
      sizes.set(ino, 0);
      emit({ k: 'link', dir: pn[0], name: pn[1], ino, isDir: false }, c, `create ${rel}`);
    } else if (O_TRUNC.test(flags) && !dirs.has(ino) && (sizes.get(ino) ?? 0) > 0) {
      sizes.set(ino, 0);
      emit({ k: 'trunc', ino, len: 0 }, c, `O_TRUNC ${rel}`);
    }
    if (O_DIRECTORY.test(flags) && !dirs.has(ino)) throw new Error(`O_DIRECTORY open of file ${rel} (trace line ${c.line})`);
    table(c.tid).set(fd, { ino, append: O_APPEND.test(flags), off: 0 });
  };
  const doWrite = (c: Syscall, fdA: string, bufs: Buffer[], pos: number | undefined): void => {
    const n = retNum(c.ret);
    if (n <= 0) return;
    const { fd } = fdArg(fdA);
    const f = table(c.tid).get(fd);
    const data = Buffer.concat(bufs).subarray(0, n);
    if (!f) {
      const text = data.toString('utf8');
      if (text.includes(MARK)) {
        for (const line of text.split('\n')) {
          const at = line.indexOf(MARK);
          if (at >= 0) emit({ k: 'marker', text: line.slice(at + MARK.length) }, c, `marker ${line.slice(at)}`);
        }
      }
      const p = fdArg(fdA).path;
      if (p !== undefined && within(p) !== undefined) throw new Error(`write to ${p} through an fd the model never saw opened (trace line ${c.line})`);
      return;
    }
    if (dirs.has(f.ino)) throw new Error(`write to a directory (trace line ${c.line})`);
    const size = sizes.get(f.ino) ?? 0;
    const off = pos ?? (f.append ? size : f.off);
    if (pos === undefined) f.off = off + n;
    sizes.set(f.ino, Math.max(size, off + n));
    emit({ k: 'write', ino: f.ino, off, data }, c, `write ${label(f.ino)} @${off}+${n}`);
  };
  const doRename = (c: Syscall, from: string, to: string): void => {
    if (retNum(c.ret) !== 0) return;
    const rf = within(from);
    const rt = within(to);
    if (rf === undefined && rt === undefined) return;
    if (rf === undefined || rt === undefined) throw new Error(`rename across the root's edge: ${from} -> ${to} (trace line ${c.line})`);
    const pf = parentOf(rf);
    const pt = parentOf(rt);
    if (!pf || !pt) throw new Error(`rename in an unknown directory (trace line ${c.line})`);
    if (pf[0] !== pt[0]) throw new Error(`rename across directories is not modeled: ${rf} -> ${rt} (trace line ${c.line})`);
    const m = names.get(pf[0])!;
    const ino = m.get(pf[1]);
    if (ino === undefined) throw new Error(`rename of ${rf}, unknown to the model (trace line ${c.line})`);
    if (dirs.has(ino)) throw new Error(`rename of a directory is not modeled: ${rf} (trace line ${c.line})`);
    m.delete(pf[1]);
    m.set(pt[1], ino);
    emit({ k: 'rename', dir: pf[0], from: pf[1], to: pt[1] }, c, `rename ${rf} -> ${rt}`);
  };
  const doUnlink = (c: Syscall, path: string): void => {
    if (retNum(c.ret) !== 0) return;
    const rel = within(path);
    if (rel === undefined) return;
    const pn = parentOf(rel);
    const m = pn ? names.get(pn[0]) : undefined;
    if (!pn || !m?.has(pn[1])) throw new Error(`unlink of ${rel}, unknown to the model (trace line ${c.line})`);
    m.delete(pn[1]);
    emit({ k: 'unlink', dir: pn[0], name: pn[1] }, c, `unlink ${rel}`);
  };
  const doLink = (c: Syscall, from: string, to: string): void => {
    if (retNum(c.ret) !== 0) return;
    const rf = within(from);
    const rt = within(to);
    if (rf === undefined && rt === undefined) return;
    if (rf === undefined || rt === undefined) throw new Error(`link across the root's edge: ${from} -> ${to} (trace line ${c.line})`);
    const ino = inodeOf(rf);
    const pt = parentOf(rt);
    if (ino === undefined || !pt) throw new Error(`link of ${rf}, unknown to the model (trace line ${c.line})`);
    if (dirs.has(ino)) throw new Error(`link of a directory (trace line ${c.line})`);
    names.get(pt[0])!.set(pt[1], ino);
    emit({ k: 'link', dir: pt[0], name: pt[1], ino, isDir: false }, c, `link ${rf} -> ${rt}`);
  };
  const doMkdir = (c: Syscall, path: string): void => {
    if (retNum(c.ret) !== 0) return;
    const rel = within(path);
    if (rel === undefined || rel === '') return;
    const pn = parentOf(rel);
    if (!pn) throw new Error(`mkdir of ${rel} in an unknown directory (trace line ${c.line})`);
    const ino = nextIno++;
    dirs.add(ino);
    names.set(ino, new Map());
    names.get(pn[0])!.set(pn[1], ino);
    emit({ k: 'link', dir: pn[0], name: pn[1], ino, isDir: true }, c, `mkdir ${rel}`);
  };

  const applyCall = (c: Syscall): void => {
    const a = c.args;
    switch (c.name) {
      case 'open':
        doOpen(c, abs(c, undefined, a[0]!), a[1]!);
        break;
      case 'openat':
        doOpen(c, abs(c, a[0], a[1]!), a[2]!);
        break;
      case 'creat':
        doOpen(c, abs(c, undefined, a[0]!), 'O_CREAT|O_WRONLY|O_TRUNC');
        break;
      case 'write':
        doWrite(c, a[0]!, [strArg(a[1]!)], undefined);
        break;
      case 'pwrite64':
        doWrite(c, a[0]!, [strArg(a[1]!)], Number(a[3]));
        break;
      case 'writev':
        doWrite(c, a[0]!, iovArg(a[1]!), undefined);
        break;
      case 'pwritev':
      case 'pwritev2':
        doWrite(c, a[0]!, iovArg(a[1]!), Number(a[3]));
        break;
      case 'fsync':
      case 'fdatasync': {
        if (retNum(c.ret) !== 0) break;
        const f = table(c.tid).get(fdArg(a[0]!).fd);
        if (f) emit({ k: 'sync', ino: f.ino }, c, `${c.name} ${label(f.ino)}`);
        break;
      }
      case 'ftruncate': {
        if (retNum(c.ret) !== 0) break;
        const f = table(c.tid).get(fdArg(a[0]!).fd);
        if (f) {
          const len = Number(a[1]);
          sizes.set(f.ino, len);
          emit({ k: 'trunc', ino: f.ino, len }, c, `ftruncate ${label(f.ino)} to ${len}`);
        }
        break;
      }
      case 'truncate':
        if (within(abs(c, undefined, a[0]!)) !== undefined && retNum(c.ret) === 0) throw new Error(`truncate(2) by path is not modeled (trace line ${c.line})`);
        break;
      case 'lseek': {
        const f = table(c.tid).get(fdArg(a[0]!).fd);
        if (f && retNum(c.ret) >= 0) f.off = retNum(c.ret);
        break;
      }
      case 'close':
        table(c.tid).delete(fdArg(a[0]!).fd);
        break;
      case 'dup':
      case 'dup2':
      case 'dup3': {
        const f = table(c.tid).get(fdArg(a[0]!).fd);
        const to = retNum(c.ret);
        if (f && to >= 0) table(c.tid).set(to, f); // shares the open file description (offset)
        break;
      }
      case 'rename':
        doRename(c, abs(c, undefined, a[0]!), abs(c, undefined, a[1]!));
        break;
      case 'renameat':
      case 'renameat2':
        doRename(c, abs(c, a[0], a[1]!), abs(c, a[2], a[3]!));
        break;
      case 'unlink':
      case 'rmdir':
        doUnlink(c, abs(c, undefined, a[0]!));
        break;
      case 'unlinkat':
        doUnlink(c, abs(c, a[0], a[1]!));
        break;
      case 'mkdir':
        doMkdir(c, abs(c, undefined, a[0]!));
        break;
      case 'link':
        doLink(c, abs(c, undefined, a[0]!), abs(c, undefined, a[1]!));
        break;
      case 'linkat':
        doLink(c, abs(c, a[0], a[1]!), abs(c, a[2], a[3]!));
        break;
      case 'mkdirat':
        doMkdir(c, abs(c, a[0], a[1]!));
        break;
      case 'clone':
      case 'clone3':
      case 'fork':
      case 'vfork':
        break;
      default:
        if (UNMODELED.includes(c.name)) {
          if (c.name.startsWith('io_uring')) throw new Error(`${c.name} in the trace: libuv used io_uring, whose file operations strace cannot show (set UV_USE_IO_URING=0)`);
          if (c.name === 'sync' || c.name === 'syncfs') throw new Error(`${c.name} is not modeled (trace line ${c.line})`);
          if (c.args.some((x) => touchesRoot(x, within))) throw new Error(`${c.name} on the root's files is not modeled (trace line ${c.line})`);
        }
    }
  };

  const reordered = applyInResultOrder(calls, {
    abs,
    exists: (p) => {
      const rel = within(p);
      return rel !== undefined && inodeOf(rel) !== undefined;
    },
    inScope: (p) => within(p) !== undefined,
  }, applyCall);
  return { ops, what, dirs, inodes: nextIno, reordered };
}
