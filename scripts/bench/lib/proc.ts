// What /proc says about another process (a server under load, measured from outside so that
// measuring costs it nothing): CPU of its main thread and of all its threads, and its memory.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux's USER_HZ: /proc/<pid>/stat counts utime and stime in these ticks (100 on every mainstream kernel). */
const TICKS_PER_S = 100;

export interface ProcCpu {
  /** CPU ns of the main thread (/proc/<pid>/task/<pid>/schedstat: the scheduler's exact sum). */
  mainNs: number;
  /** CPU ns of the whole process, threads that ended included (/proc/<pid>/stat utime+stime, 10 ms ticks). */
  totalNs: number;
}

/** CPU so far of `pid`, or null when it is gone (or /proc is not Linux's). */
export function procCpu(pid: number): ProcCpu | null {
  try {
    const sched = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'latin1');
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { mainNs: Number(sched.slice(0, sched.indexOf(' '))), totalNs: (ticks * 1e9) / TICKS_PER_S };
  } catch {
    return null;
  }
}

export interface ProcMem {
  /** Peak resident set size so far (VmHWM), MB (10^6 B). */
  peakRssMb: number;
  /** Resident set size now (VmRSS), MB. */
  rssMb: number;
}

/** Memory of `pid` from /proc/<pid>/status, or null when it is gone. */
export function procMem(pid: number): ProcMem | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s*(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { peakRssMb: Math.round(kb('VmHWM') * 1.024) / 1000, rssMb: Math.round(kb('VmRSS') * 1.024) / 1000 };
  } catch {
    return null;
  }
}

/** Context switches (voluntary + involuntary) of every thread of `pid` so far, from /proc/<pid>/task/<tid>/status, or null. */
export function procSwitches(pid: number): number | null {
  try {
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const s = readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
        for (const m of s.matchAll(/^(?:non)?voluntary_ctxt_switches:\s*(\d+)/gm)) total += Number(m[1]);
      } catch {
        // the thread ended meanwhile
      }
    }
    return total;
  } catch {
    return null;
  }
}

/** CPU ns so far of each thread of `pid` (/proc/<pid>/task/<tid>/schedstat), by tid; threads that ended are absent. */
export function procThreadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1');
      out.set(Number(tid), Number(s.slice(0, s.indexOf(' '))));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** This thread's kernel id (the tid /proc/<pid>/task lists), or null off Linux. */
export function ownTid(): number | null {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
}
