// Case 5: threadwal itself. Every row counts events whose per-event promise (or, for
// appendNoWait, the covering flush()) resolved, i.e. that the writer thread fdatasynced.
import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Wal, WalOptions } from '@threadwal/client';
import { Latency, NewThreadsCpu, ThreadCpu, now, round, throughput, wallNow, type CaseResult } from '../lib/measure.js';
import { lastSeqInFile, loadClient, produce, type Go, type ProduceOptions, type ProducerReport } from '../lib/producer.js';
import type { CaseContext } from '../lib/workload.js';

const WINDOW = 1000;
const DEPTH = 4;

/** Checks that the file ends at the seq the run implies (every acked event is there, no seq skipped or reused). */
function seqCheck(path: string, appended: number): string {
  const last = lastSeqInFile(path);
  if (last !== appended - 1) throw new Error(`seq check failed: ${appended} events appended but the last line has seq ${last}`);
  return `last seq ${last} ok`;
}

/** One producer on this process's main thread. */
async function mainThread(ctx: CaseContext, o: ProduceOptions, walOptions: WalOptions, detail: string): Promise<CaseResult> {
  const { openWal } = await loadClient();
  const path = join(ctx.dir, 'tw.wal');
  const writerCpu = new NewThreadsCpu();
  const wal: Wal<string> = await openWal<string>(path, walOptions);
  let closed = false;
  try {
    const warm = await produce(wal, now() + ctx.warmS * 1000, 0, o, null);
    const s0 = await wal.stats();
    const lat = new Latency();
    writerCpu.start();
    const cpu = new ThreadCpu();
    const t0 = now();
    const events = await produce(wal, t0 + ctx.measureS * 1000, warm, o, lat);
    const ms = now() - t0;
    const cpuMs = cpu.elapsedMs();
    const eluMs = cpu.eluActiveMs();
    const wMs = writerCpu.elapsedMs();
    const s1 = await wal.stats();
    await wal.close();
    closed = true;
    const batches = s1.batches - s0.batches;
    const meanBatch = batches > 0 ? (s1.events - s0.events) / batches : 0;
    return throughput(ctx.id, events, ms, {
      ack: lat.summary(o.mode === 'append' ? `event (1/16 sampled)` : `flush of ${o.window}`),
      cpuUsPerEvent: round((cpuMs * 1000) / events, 3),
      cpuOn: `main (${cpu.how})`,
      detail: `${detail}; batch≈${Math.round(meanBatch)}, ${Math.round(batches / (ms / 1000))} fsync/s` +
        `${wMs === null ? '' : `; writer thread ${round((wMs * 1000) / events, 2)} µs/ev CPU`}; ${seqCheck(path, warm + events)}`,
      metrics: {
        meanBatch: round(meanBatch, 1), fsyncsPerSec: round(batches / (ms / 1000)), batchAckP99UsFromStats: s1.ackP99Us,
        eluActiveUsPerEvent: round((eluMs * 1000) / events, 3), mainThreadBusyPct: round((100 * cpuMs) / ms, 1),
        ...(wMs === null ? {} : { writerCpuUsPerEvent: round((wMs * 1000) / events, 3), writerThreadBusyPct: round((100 * wMs) / ms, 1) }),
      },
    });
  } finally {
    if (!closed) await wal.close().catch(() => undefined);
  }
}

export const window = (ctx: CaseContext): Promise<CaseResult> =>
  mainThread(ctx, { mode: 'append', window: WINDOW, depth: 1 }, {}, `${WINDOW} append(), await Promise.all`);
export const pipelined = (ctx: CaseContext): Promise<CaseResult> =>
  mainThread(ctx, { mode: 'append', window: WINDOW, depth: DEPTH }, {}, `${DEPTH}×${WINDOW} in flight`);
export const noWait = (ctx: CaseContext): Promise<CaseResult> =>
  mainThread(ctx, { mode: 'nowait', window: WINDOW, depth: DEPTH }, {}, `${DEPTH} flush() in flight`);
export const exclusive = (ctx: CaseContext): Promise<CaseResult> =>
  mainThread(ctx, { mode: 'append', window: WINDOW, depth: DEPTH }, { lock: 'exclusive' }, `lock held while open, ${DEPTH}×${WINDOW} in flight`);

/** Merges the reports of producers that ran the same schedule into one row. */
function merge(ctx: CaseContext, reports: ProducerReport[], go: Go, path: string, who: string): CaseResult {
  const events = reports.reduce((s, r) => s + r.events, 0);
  const appended = reports.reduce((s, r) => s + r.warmEvents + r.events, 0);
  const ms = Math.max(...reports.map((r) => r.endWall)) - go.warmEndWall;
  const cpuMs = reports.reduce((s, r) => s + r.cpuMs, 0);
  const lat = new Latency();
  for (const r of reports) for (const s of r.samples) lat.recordMs(s);
  const perProducer = reports.map((r) => Math.round(r.events / ((r.endWall - go.warmEndWall) / 1000) / 1000)).join('/');
  const meanBatch = reports.reduce((s, r) => s + r.meanBatch, 0) / reports.length;
  return throughput(ctx.id, events, ms, {
    ack: lat.summary('event (1/16 sampled)'),
    cpuUsPerEvent: round((cpuMs * 1000) / events, 3),
    cpuOn: `${who} (${reports[0]?.cpuHow ?? '?'})`,
    detail: `k ev/s each ${perProducer}; batch≈${Math.round(meanBatch)}; ${seqCheck(path, appended)}`,
    metrics: { meanBatch: round(meanBatch, 1), producers: reports.length },
  });
}

function schedule(ctx: CaseContext): Go {
  const warmEndWall = wallNow() + 50 + ctx.warmS * 1000;
  return { warmEndWall, endWall: warmEndWall + ctx.measureS * 1000 };
}

/** A producer thread or process, as the coordinator sees it. */
interface Peer {
  send(msg: object): void;
  onMessage(fn: (m: PeerMsg) => void): void;
  /** Called when the peer exits or dies; harmless once it has reported. */
  onExit(fn: (why: string) => void): void;
}
type PeerMsg = { type: 'ready' } | { type: 'report'; report: ProducerReport } | { type: 'error'; error: string };

/** Starts every peer on one shared schedule once all are ready; resolves with their reports. */
function coordinate(ctx: CaseContext, peers: Peer[], o: ProduceOptions): Promise<{ go: Go; reports: ProducerReport[] }> {
  return new Promise((resolve, reject) => {
    const reports: ProducerReport[] = [];
    let ready = 0;
    let go: Go | null = null;
    for (const p of peers) {
      p.onExit((why) => reports.length < peers.length && reject(new Error(`a producer ended before reporting: ${why}`)));
      p.onMessage((m) => {
        switch (m.type) {
          case 'ready':
            if (++ready < peers.length) return;
            go = schedule(ctx);
            for (const q of peers) q.send({ type: 'go', go, options: o });
            return;
          case 'report':
            reports.push(m.report);
            if (reports.length === peers.length) resolve({ go: go!, reports });
            return;
          case 'error':
            reject(new Error(`producer: ${m.error}`));
            return;
          default:
            reject(new Error(`this should not happen: ${JSON.stringify(m)}`));
        }
      });
    }
  });
}

/** Four worker threads, each `connectWal(wal.port())`, one writer thread (this process's). */
export async function threads4(ctx: CaseContext): Promise<CaseResult> {
  const { openWal } = await loadClient();
  const path = join(ctx.dir, 'tw.wal');
  const wal = await openWal<string>(path);
  const o: ProduceOptions = { mode: 'append', window: WINDOW, depth: DEPTH };
  const workers: Worker[] = [];
  try {
    for (let k = 0; k < 4; k++) {
      const port = wal.port();
      workers.push(new Worker(new URL('./tw-thread-producer.js', import.meta.url), { workerData: { port }, transferList: [port] }));
    }
    const peers: Peer[] = workers.map((w) => ({
      send: (msg) => w.postMessage(msg),
      onMessage: (fn) => void w.on('message', fn),
      onExit: (fn) => {
        w.on('exit', (code) => fn(`exit code ${code}`));
        w.on('error', (err) => fn(err.message));
      },
    }));
    const { go, reports } = await coordinate(ctx, peers, o);
    await Promise.all(workers.map((w) => new Promise((r) => { w.once('exit', r); w.postMessage({ type: 'close' }); })));
    return merge(ctx, reports, go, path, '4 producer threads');
  } finally {
    for (const w of workers) void w.terminate();
    await wal.close().catch(() => undefined);
  }
}

/** Four processes, each its own openWal (so its own writer thread) on the same path; the lock is taken per batch. */
export async function processes4(ctx: CaseContext): Promise<CaseResult> {
  await loadClient(); // fail early (and as "unavailable") if the client is not built
  const path = join(ctx.dir, 'tw.wal');
  const entry = fileURLToPath(new URL('./tw-process-producer.js', import.meta.url));
  const o: ProduceOptions = { mode: 'append', window: WINDOW, depth: DEPTH };
  const children = Array.from({ length: 4 }, () => fork(entry, [path], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    const peers: Peer[] = children.map((c) => ({
      send: (msg) => void c.send(msg),
      onMessage: (fn) => void c.on('message', fn),
      onExit: (fn) => void c.on('exit', (code, signal) => fn(`exit code ${code}${signal ? `, ${signal}` : ''}`)),
    }));
    const { go, reports } = await coordinate(ctx, peers, o);
    await Promise.all(children.map((c) => new Promise((r) => { c.once('exit', r); c.send({ type: 'close' }); })));
    return merge(ctx, reports, go, path, '4 producer processes');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
