// Crash-state explorer, step 1: strace's text → one record per completed system call.
// The trace is made with `strace -f -qq -y -xx -v -s <big> -tt -o file` (strace-run.ts):
// every line starts with the thread id and a time; every string (paths included, also in
// the `-y` fd decorations `3<\x2f…>`) is printed as `\xHH` escapes, so a string never holds
// a quote, comma or bracket of its own and splitting arguments is plain bracket counting.
// A call another thread interrupted is printed in two halves (`… <unfinished ...>` and
// `<... name resumed>…`); it is joined and placed where it completed. A thread is stopped
// at each traced call's exit until strace has printed it, so anything a thread does after
// a call (an ack after an fdatasync) is printed after that call. Two calls of different
// threads that overlap in time (each began before the other completed) may be printed in
// either order, though: call-order.ts orders those by their results.

/** One completed system call. */
export interface Syscall {
  /** Line number in the trace (1-based) where it completed. */
  line: number;
  /** Line number where it began (`line` unless another thread's line came between). */
  start: number;
  tid: number;
  name: string;
  /** Top-level arguments, as printed (decode with the helpers below). */
  args: string[];
  /** The return value as printed: `0`, `22<\x2f…>`, `-1 ENOENT (…)`, `?`. */
  ret: string;
}

const HEAD = /^(\d+)\s+\d\d:\d\d:\d\d\.\d+\s+(.*)$/;
const UNFINISHED = ' <unfinished ...>';
const RESUMED = /^<\.\.\. ([a-z0-9_]+) resumed>(.*)$/;
const CALL = /^([a-z0-9_]+)\((.*)$/;

/** Splits `a, [b, c], {d=e}, f` at top-level commas (`<…>` counts only as an fd decoration, so `=>` is no bracket). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  let start = 0;
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c === '<' && i > 0 && /[0-9D]/.test(s[i - 1]!)) stack.push(c);
    else if ((c === ')' || c === ']' || c === '}') && stack.length > 0 && stack[stack.length - 1] !== '<') stack.pop();
    else if (c === '>' && stack[stack.length - 1] === '<') stack.pop();
    else if (c === ',' && stack.length === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = s.slice(start).trim();
  if (last !== '' || out.length > 0) out.push(last);
  return out;
}

/** Decodes `\xHH` escapes (all strace -xx prints) into bytes. */
export function unhex(s: string): Buffer {
  if (s.length % 4 !== 0) throw new Error(`not a -xx string: ${s.slice(0, 60)}`);
  const out = Buffer.allocUnsafe(s.length / 4);
  for (let i = 0, j = 0; i < s.length; i += 4, j++) {
    if (s[i] !== '\\' || s[i + 1] !== 'x') throw new Error(`not a -xx string: ${s.slice(0, 60)}`);
    out[j] = parseInt(s.slice(i + 2, i + 4), 16);
  }
  return out;
}

/** The bytes of a quoted string argument `"\x41…"`; throws if strace cut it short (`"…"...`). */
export function strArg(arg: string): Buffer {
  if (arg.endsWith('"...')) throw new Error('strace truncated a string: raise -s');
  const m = /^"(.*)"$/.exec(arg);
  if (!m) throw new Error(`not a string argument: ${arg.slice(0, 60)}`);
  return unhex(m[1]!);
}

/** A path argument as text. */
export function pathArg(arg: string): string {
  return strArg(arg).toString('utf8');
}

/** `22<\x2f…>` (`…>(deleted)` once unlinked) → { fd: 22, path } (path undefined without a decoration); `AT_FDCWD<…>` → fd -100. */
export function fdArg(arg: string): { fd: number; path: string | undefined } {
  const m = /^(-?\d+|AT_FDCWD)(?:<(.*)>(?:\(deleted\))?)?$/.exec(arg);
  if (!m) throw new Error(`not an fd: ${arg.slice(0, 60)}`);
  const fd = m[1] === 'AT_FDCWD' ? -100 : Number(m[1]);
  let path: string | undefined;
  if (m[2] !== undefined) {
    // A decoration may carry a suffix such as ` (deleted)` after the escaped path.
    const hex = /^((?:\\x[0-9a-f]{2})*)(.*)$/.exec(m[2])!;
    path = unhex(hex[1]!).toString('utf8') + hex[2]!;
  }
  return { fd, path };
}

/** The numeric result of a call, or -1 for a failure / `?`. */
export function retNum(ret: string): number {
  const m = /^(-?\d+)/.exec(ret);
  return m ? Number(m[1]) : -1;
}

/** The buffers of an iovec array `[{iov_base="…", iov_len=N}, …]`. */
export function iovArg(arg: string): Buffer[] {
  if (!arg.startsWith('[') || !arg.endsWith(']')) throw new Error(`not an iovec array: ${arg.slice(0, 60)}`);
  const out: Buffer[] = [];
  for (const el of splitArgs(arg.slice(1, -1))) {
    if (el === '...') throw new Error('strace abbreviated an iovec array: run with -v and a larger -s');
    const m = /^\{iov_base=("[^"]*"(?:\.\.\.)?), iov_len=(\d+)\}$/.exec(el);
    if (!m) throw new Error(`not an iovec: ${el.slice(0, 60)}`);
    out.push(strArg(m[1]!));
  }
  return out;
}

/** Parses a whole trace into completed calls, in completion order. */
export function parseTrace(text: string): Syscall[] {
  const out: Syscall[] = [];
  const pending = new Map<number, { name: string; head: string; start: number }>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (raw === '') continue;
    const h = HEAD.exec(raw);
    if (!h) throw new Error(`trace line ${n + 1} has no thread id and time: ${raw.slice(0, 80)}`);
    const tid = Number(h[1]);
    let body = h[2]!;
    if (body.startsWith('+++') || body.startsWith('---')) continue; // exits and signals
    let name: string;
    let rest: string;
    let start = n + 1;
    const resumed = RESUMED.exec(body);
    if (resumed) {
      const p = pending.get(tid);
      if (!p || p.name !== resumed[1]) throw new Error(`trace line ${n + 1}: ${resumed[1]} resumed without its start`);
      pending.delete(tid);
      start = p.start;
      name = p.name;
      rest = p.head + resumed[2]!;
    } else {
      const c = CALL.exec(body);
      if (!c) throw new Error(`trace line ${n + 1}: cannot read ${body.slice(0, 80)}`);
      name = c[1]!;
      rest = c[2]!;
    }
    if (rest.endsWith(UNFINISHED)) {
      pending.set(tid, { name, head: rest.slice(0, -UNFINISHED.length), start });
      continue;
    }
    const eq = rest.lastIndexOf(') = ');
    if (eq < 0) {
      // A call that never returned (exit, a killed thread): `) = ?` is absent. Nothing took effect we could see.
      continue;
    }
    body = rest.slice(0, eq);
    out.push({ line: n + 1, start, tid, name, args: splitArgs(body), ret: rest.slice(eq + 4) });
  }
  return out;
}
