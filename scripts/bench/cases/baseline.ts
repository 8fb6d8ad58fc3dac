// Case 1, the baseline every ratio is taken against: what a straight port of the seed's
// WalWriter::append does, one event at a time on the calling thread (lock, write, fsync,
// unlock). And case 6's reference: bare write + fdatasync, one at a time, no lock.
import { closeSync, fdatasyncSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Latency, ThreadCpu, now, round, throughput, type CaseResult } from '../lib/measure.js';
import { importPeer, line, type CaseContext } from '../lib/workload.js';

interface ProperLockfile {
  lockSync(file: string, options?: { realpath?: boolean; stale?: number }): () => void;
}

/** Runs `step(i)` back to back for warm + measure seconds; every call is one acknowledged event. */
function syncLoop(ctx: CaseContext, step: (i: number) => void): { events: number; ms: number; lat: Latency; cpuMs: number; cpuHow: string } {
  let i = 0;
  const warmEnd = now() + ctx.warmS * 1000;
  while (now() < warmEnd) step(i++);
  const lat = new Latency();
  const cpu = new ThreadCpu();
  const t0 = now();
  const end = t0 + ctx.measureS * 1000;
  let events = 0;
  let t = t0;
  while (t < end) {
    step(i++);
    const t1 = now();
    lat.recordMs(t1 - t);
    t = t1;
    events += 1;
  }
  return { events, ms: t - t0, lat, cpuMs: cpu.elapsedMs(), cpuHow: cpu.how };
}

/** Case 1: proper-lockfile lockSync + writeSync + fsyncSync + unlock per event (fd kept open, as the seed's writer holds it). */
export async function naive(ctx: CaseContext): Promise<CaseResult> {
  // Loaded only here, in this case's own process: proper-lockfile pulls in signal-exit (see DESIGN.md).
  const lockfile = (await importPeer<{ default: ProperLockfile }>('proper-lockfile')).default;
  const path = join(ctx.dir, 'naive.wal');
  const fd = openSync(path, 'a');
  try {
    const r = syncLoop(ctx, (i) => {
      const release = lockfile.lockSync(path, { realpath: false });
      try {
        writeSync(fd, line(i, i));
        fsyncSync(fd);
      } finally {
        release();
      }
    });
    return throughput(ctx.id, r.events, r.ms, {
      ack: r.lat.summary('event'),
      cpuUsPerEvent: round((r.cpuMs * 1000) / r.events, 2),
      cpuOn: `main (${r.cpuHow})`,
      detail: 'ack = return of append()',
    });
  } finally {
    closeSync(fd);
  }
}

/** Case 6's reference: writeSync + fdatasyncSync of one line at a time, no lock. */
export async function rawFdatasync(ctx: CaseContext): Promise<CaseResult> {
  const fd = openSync(join(ctx.dir, 'raw.wal'), 'a');
  try {
    const r = syncLoop(ctx, (i) => {
      writeSync(fd, line(i, i));
      fdatasyncSync(fd);
    });
    return throughput(ctx.id, r.events, r.ms, {
      ack: r.lat.summary('event'),
      cpuUsPerEvent: round((r.cpuMs * 1000) / r.events, 2),
      cpuOn: `main (${r.cpuHow})`,
      detail: 'the p99 the paced target compares to',
    });
  } finally {
    closeSync(fd);
  }
}
