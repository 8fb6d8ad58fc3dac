// bench:ship's end-to-end lag: a producer process (ship-producer.ts) appends at an offered
// rate (appendNoWait in 1 ms ticks, a flush() per tick whose resolution marks the tick's
// events durable in the WAL) while a shipper process (ship-follower.ts) follows the WAL, as
// an app and `threadwal ship` run; each event's lag is its stream ack minus the moment it
// was known durable, on the wall clock the processes share. Events the shipper had acked
// before their flush resolved (it reads the file, which holds a line before its fdatasync
// returns) count as lag 0 and are reported.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { openWal } from '@threadwal/client';
import type { BatchOptions } from '@threadwal/ship';
import { Latency, now } from './measure.js';
import { event } from './workload.js';

export interface LagResult {
  lat: Latency;
  offered: number;
  /** Events per second the producer achieved. */
  appended: number;
  /** Events acked before their flush resolved. */
  beforeDurable: number;
  messages: number;
}

let n = 0;

/** How long after the producer ends the shipper may take to finish before the row is reported stalled. */
const STALL_S = 90;

interface Done { type: 'done'; seqs: number[]; at: number[]; appendedPerSec: number; last: number }

/** A child process with a message queue: `next(type)` resolves with the next message of that type. */
function child(script: string, args: string[]): { proc: ReturnType<typeof fork>; next(type: string): Promise<Record<string, unknown>> } {
  const proc = fork(fileURLToPath(new URL(script, import.meta.url)), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: Array<Record<string, unknown>> = [];
  let wake: (() => void) | undefined;
  proc.on('message', (m) => { messages.push(m as Record<string, unknown>); wake?.(); });
  proc.on('exit', () => wake?.());
  return {
    proc,
    next: async (type) => {
      for (;;) {
        const i = messages.findIndex((m) => m.type === type);
        if (i >= 0) return messages.splice(i, 1)[0]!;
        if (proc.exitCode !== null) throw new Error(`${script} exited ${proc.exitCode}`);
        await new Promise<void>((r) => { wake = r; });
      }
    },
  };
}

export async function pacedLag(dir: string, servers: string[], replicas: number, rate: number, seconds: number, batch: BatchOptions | false | undefined): Promise<LagResult> {
  const path = join(dir, `paced${++n}.wal`);
  const out = join(dir, `paced${n}.acks`);
  const events = rate * seconds;
  const producer = child('./ship-producer.js', [path, String(rate), String(seconds)]);
  await producer.next('ready');
  const follower = child('./ship-follower.js', [JSON.stringify({ path, servers, stream: `PACED${n}`, replicas, batch: batch === false ? { maxEvents: 1 } : batch, events, out })]);
  await follower.next('ready');
  producer.proc.send('go');
  const done = (await producer.next('done')) as unknown as Done;
  follower.proc.send({ last: done.last });
  // A guard, not a measurement: a 3-node cluster overloaded on two shared cores lost its
  // stream leader and never shipped again (a run sat 4+ min at 108k of 2M events).
  let guard: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    guard = setTimeout(() => reject(new Error(`stalled: the shipper had not shipped all ${done.last + 1} events ${STALL_S} s after the producer ended`)), STALL_S * 1000);
  });
  let messages: number;
  try {
    ({ messages } = (await Promise.race([follower.next('done'), stalled])) as { messages: number });
  } catch (err) {
    producer.proc.kill('SIGKILL');
    follower.proc.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(guard);
  }
  const raw = readFileSync(out);
  const ackAt = new Float64Array(raw.buffer, raw.byteOffset, raw.byteLength / 8);
  const lat = new Latency();
  let beforeDurable = 0;
  let m = 0;
  for (let s = 1; s <= done.last; s++) {
    while (done.seqs[m]! < s) m++;
    const lag = ackAt[s]! - done.at[m]!;
    if (lag < 0) beforeDurable++;
    lat.recordMs(Math.max(lag, 0.001));
  }
  return { lat, offered: rate, appended: done.appendedPerSec, beforeDurable, messages };
}

/** How fast one producer appends with appendNoWait (a flush() per 1000), durable at the end: the pace shipping is held to. */
export async function appendNoWaitRate(dir: string, events: number): Promise<number> {
  const wal = await openWal<string>(join(dir, `nowait${++n}.wal`));
  try {
    const t0 = now();
    const flushes: Array<Promise<void>> = [];
    for (let i = 0; i < events; i++) {
      wal.appendNoWait(event(i));
      if (i % 1000 === 999) {
        flushes.push(wal.flush());
        if (flushes.length > 4) await flushes.shift();
      }
    }
    await wal.flush();
    return (events * 1000) / (now() - t0);
  } finally {
    await wal.close();
  }
}
