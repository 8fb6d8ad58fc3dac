// Crash-state explorer: the order in which to apply completed calls. Calls are printed where
// they returned, and a thread is stopped at each traced call's exit until strace printed
// it, so anything a thread does after a call comes after it in the trace. But two calls of
// different threads that overlap in time (each began before the other returned) may be
// printed in either order. When the printed order contradicts a result (a `mkdir` of the
// lock that succeeded while another process's `rmdir` of it is printed just after; an
// `unlink` of a name that is gone), the overlapping call is applied first.
import { retNum, type Syscall } from './trace-parse.js';

export interface OrderModel {
  /** Absolute path of a path argument relative to a dirfd argument. */
  abs(c: Syscall, dirfdArg: string | undefined, pathArg: string): string;
  /** Whether the model has an entry at this absolute path now. */
  exists(path: string): boolean;
  /** Whether the path is under the explored root. */
  inScope(path: string): boolean;
}

const O_CREAT = /\bO_CREAT\b/;
const O_EXCL = /\bO_EXCL\b/;
const REMOVES = ['rmdir', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2'];

/** Paths (absolute) whose directory entry a call creates, removes or renames (first: the one it needs absent or present); [] for others. */
function entryPaths(m: OrderModel, c: Syscall): string[] {
  const a = c.args;
  switch (c.name) {
    case 'mkdir': case 'rmdir': case 'unlink': return [m.abs(c, undefined, a[0]!)];
    case 'mkdirat': case 'unlinkat': return [m.abs(c, a[0], a[1]!)];
    case 'link': return [m.abs(c, undefined, a[1]!), m.abs(c, undefined, a[0]!)];
    case 'linkat': return [m.abs(c, a[2], a[3]!), m.abs(c, a[0], a[1]!)];
    case 'rename': return [m.abs(c, undefined, a[0]!), m.abs(c, undefined, a[1]!)];
    case 'renameat': case 'renameat2': return [m.abs(c, a[0], a[1]!), m.abs(c, a[2], a[3]!)];
    case 'open': return O_CREAT.test(a[1]!) ? [m.abs(c, undefined, a[0]!)] : [];
    case 'openat': return O_CREAT.test(a[2]!) ? [m.abs(c, a[0], a[1]!)] : [];
    default: return [];
  }
}

/** False when a successful call contradicts the model (it must have run after a concurrent call printed later). */
function consistent(m: OrderModel, c: Syscall): boolean {
  if (retNum(c.ret) < 0) return true;
  const p = entryPaths(m, c);
  if (p.length === 0 || !m.inScope(p[0]!)) return true;
  switch (c.name) {
    case 'mkdir': case 'mkdirat': return !m.exists(p[0]!);
    case 'link': case 'linkat': return !m.exists(p[0]!) && m.exists(p[1]!);
    case 'open': case 'openat': return !O_EXCL.test(c.name === 'open' ? c.args[1]! : c.args[2]!) || !m.exists(p[0]!);
    default: return REMOVES.includes(c.name) ? m.exists(p[0]!) : true;
  }
}

const removes = (c: Syscall): boolean => REMOVES.includes(c.name) && retNum(c.ret) === 0;

/** Applies every call (`apply`) in an order its results allow; returns how many were moved. */
export function applyInResultOrder(calls: readonly Syscall[], m: OrderModel, apply: (c: Syscall) => void): number {
  const done = new Set<number>();
  let moved = 0;
  /** Later calls that overlap `calls[i]` in time and create, remove or rename one of its paths. */
  const overlapping = (i: number): number[] => {
    const c = calls[i]!;
    const mine = new Set(entryPaths(m, c));
    const out: number[] = [];
    for (let j = i + 1; j < calls.length && calls[j]!.start < c.line; j++) {
      if (!done.has(j) && entryPaths(m, calls[j]!).some((p) => mine.has(p))) out.push(j);
    }
    return out;
  };
  /**
   * An O_CREAT open of an existing path that overlapped an unlink of it, printed first: did
   * it open the old file (then the unlink removed it), or run after the unlink and create a
   * new one? The next successful call on that path says: if it removes the name, the name
   * existed, so the open created it after the unlink.
   */
  const unlinkFirst = (i: number): number | undefined => {
    const c = calls[i]!;
    if (!(c.name === 'open' || c.name === 'openat') || retNum(c.ret) < 0) return undefined;
    const p = entryPaths(m, c)[0];
    if (p === undefined || !m.inScope(p) || !m.exists(p)) return undefined;
    const j = overlapping(i).find((k) => removes(calls[k]!) && entryPaths(m, calls[k]!)[0] === p);
    if (j === undefined) return undefined;
    for (let k = j + 1; k < calls.length; k++) {
      const d = calls[k]!;
      if (retNum(d.ret) < 0 || !entryPaths(m, d).includes(p)) continue;
      return removes(d) && entryPaths(m, d)[0] === p ? j : undefined;
    }
    return undefined;
  };
  const first = (j: number): void => {
    apply(calls[j]!);
    done.add(j);
    moved += 1;
  };
  for (let i = 0; i < calls.length; i++) {
    if (done.has(i)) continue;
    const c = calls[i]!;
    const j = unlinkFirst(i);
    if (j !== undefined) first(j);
    if (!consistent(m, c)) {
      for (const k of overlapping(i)) {
        if (consistent(m, c)) break;
        first(k);
      }
      if (!consistent(m, c)) throw new Error(`${c.name} at trace line ${c.line} contradicts the model and no overlapping call explains it`);
    }
    apply(c);
  }
  return moved;
}
