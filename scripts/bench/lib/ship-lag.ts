// bench:ship's end-to-end lag: a producer process (ship-producer.ts) appends at an offered
// rate (appendNoWait in 1 ms ticks, a flush() per tick whose resolution marks the tick's
// events durable in the WAL) while a shipper in this process follows the WAL, as an app and
// `threadwal ship` would run; each event's lag is its stream ack minus the moment it was
// known durable, on the wall clock both processes share. Events the shipper had acked
// before their flush resolved (it reads the file, which holds a line before its fdatasync
// returns) count as lag 0 and are reported.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { ship, type BatchOptions } from '@threadwal/ship';
import { Latency, now, wallNow } from './measure.js';
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

interface Done { type: 'done'; seqs: number[]; at: number[]; appendedPerSec: number; last: number }

export async function pacedLag(dir: string, servers: string[], replicas: number, rate: number, seconds: number, batch: BatchOptions | false | undefined): Promise<LagResult> {
  const path = join(dir, `paced${++n}.wal`);
  const child = fork(fileURLToPath(new URL('./ship-producer.js', import.meta.url)), [path, String(rate), String(seconds)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: Array<{ type: string }> = [];
  let wake: (() => void) | undefined;
  child.on('message', (m: { type: string }) => { messages.push(m); wake?.(); });
  const next = async (type: string): Promise<unknown> => {
    for (;;) {
      const i = messages.findIndex((m) => m.type === type);
      if (i >= 0) return messages.splice(i, 1)[0];
      if (child.exitCode !== null) throw new Error(`the producer exited ${child.exitCode}`);
      await new Promise<void>((r) => { wake = r; });
    }
  };
  await next('ready');
  const ackAt = new Float64Array(rate * seconds + 2);
  const stream = `PACED${n}`;
  const shipper = ship(path, {
    servers, stream, subject: `tw.${stream}`, createStream: true, replicas, pollMs: 1, batch, serverSyncIntervalMs: 0,
    onAcked: (seq) => { if (seq < ackAt.length) ackAt[seq] = wallNow(); },
  });
  while (shipper.status().ackedSeq < 0) await new Promise((r) => setTimeout(r, 10));
  child.send('go');
  const done = (await next('done')) as Done;
  while (shipper.status().ackedSeq < done.last) await new Promise((r) => setTimeout(r, 5));
  const r = await shipper.stop();
  const lat = new Latency();
  let beforeDurable = 0;
  let m = 0;
  for (let s = 1; s <= done.last; s++) {
    while (done.seqs[m]! < s) m++;
    const lag = ackAt[s]! - done.at[m]!;
    if (lag < 0) beforeDurable++;
    lat.recordMs(Math.max(lag, 0.001));
  }
  return { lat, offered: rate, appended: done.appendedPerSec, beforeDurable, messages: r.messages };
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
