// Case 7: a big WAL (1 GiB; 64 MiB in --quick). `big-gen` writes valid seed-format lines
// straight to the file (no WAL code involved, one fdatasync at the end so later cases do not
// share the disk with writeback) and leaves a torn last line; `big-open` times openWal on it
// (recovery must cost O(tail)); `big-verify` and `big-cleanup` time @threadwal/maintenance
// on the same file, each in a fresh process so peak RSS is theirs alone.
import { closeSync, existsSync, fdatasyncSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BIG_FILE_BYTES } from '../catalog.js';
import { bytesReadSoFar, now, peakRssMb, round, type CaseResult } from '../lib/measure.js';
import { loadClient } from '../lib/producer.js';
import { Unavailable, importPeer, pool, POOL_SIZE, type CaseContext } from '../lib/workload.js';

interface CoreRecover {
  recoverTail(fd: number, path: string, opts: { truncate: boolean }): { size: number; lastSeq: number };
}

interface BigMeta {
  path: string;
  /** Bytes of complete lines (the torn tail excluded). */
  bytes: number;
  lines: number;
  tornBytes: number;
  tsFirst: number;
  tsLast: number;
}

const DAY_S = 86_400;
const CHUNK_BYTES = 4 * 1024 * 1024;
const MB = 1e6;

const metaPath = (ctx: CaseContext): string => join(ctx.shared, 'big', 'meta.json');

function readMeta(ctx: CaseContext): BigMeta {
  const p = metaPath(ctx);
  if (!existsSync(p)) throw new Unavailable('no big WAL: big-gen did not run in this run');
  return JSON.parse(readFileSync(p, 'utf8')) as BigMeta;
}

/** Writes the big WAL: ts spread over the last two days, so cleanup(path, 1 day) drops about half. */
export async function generate(ctx: CaseContext): Promise<CaseResult> {
  const target = ctx.quick ? BIG_FILE_BYTES.quick : BIG_FILE_BYTES.full;
  mkdirSync(join(ctx.shared, 'big'), { recursive: true });
  const { meta, ms } = writeBigWal(join(ctx.shared, 'big', 'big.wal'), target);
  writeFileSync(metaPath(ctx), JSON.stringify(meta));
  const { bytes, lines: seq } = meta;
  return {
    id: ctx.id,
    status: 'ok',
    detail: `${round(bytes / 1024 ** 2)} MiB, ${seq} lines + torn tail, ${round(bytes / MB / (ms / 1000))} MB/s incl. fdatasync`,
    metrics: { bytes, lines: seq, ms: round(ms, 1), mbPerSec: round(bytes / MB / (ms / 1000), 1) },
  };
}

/** Writes `target` bytes of valid lines (and a torn last line) to `path`, made durable with one fdatasync. */
export function writeBigWal(path: string, target: number): { meta: BigMeta; ms: number } {
  // Everything after `"ts":N,` of each pool event, so a line is two numbers and a concat.
  const tails = pool.map((e) => `${JSON.stringify({ ...e, ts: undefined }).slice(1)}\n`.replace(/^,/, ''));
  const meanLine = 40 + tails.reduce((s, t) => s + t.length, 0) / POOL_SIZE;
  const expected = Math.ceil(target / meanLine);
  const nowS = Math.floor(Date.now() / 1000);
  const tsFirst = nowS - 2 * DAY_S;
  const fd = openSync(path, 'w');
  const buf = Buffer.allocUnsafe(CHUNK_BYTES + 4096);
  const t0 = now();
  let bytes = 0;
  let seq = 0;
  let ts = tsFirst;
  try {
    while (bytes < target) {
      let off = 0;
      while (off < CHUNK_BYTES && bytes + off < target) {
        ts = tsFirst + Math.floor((seq * 2 * DAY_S) / expected);
        off += buf.write(`{"seq":${seq},"ts":${ts},${tails[seq & (POOL_SIZE - 1)]!}`, off, 'latin1');
        seq++;
      }
      writeSync(fd, buf, 0, off);
      bytes += off;
    }
    const torn = `{"seq":${seq},"ts":${ts},"type":"job_sta`;
    writeSync(fd, torn);
    fdatasyncSync(fd);
    const ms = now() - t0;
    return { meta: { path, bytes, lines: seq, tornBytes: torn.length, tsFirst, tsLast: ts }, ms };
  } finally {
    closeSync(fd);
  }
}

/** openWal on the big file: time to a usable handle and bytes read, against an empty WAL's open in the same process. */
export async function open(ctx: CaseContext): Promise<CaseResult> {
  const meta = readMeta(ctx);
  const { openWal } = await loadClient();
  const timeOpen = async (path: string): Promise<{ ms: number; read: number; nextSeq: number }> => {
    const r0 = bytesReadSoFar() ?? 0;
    const t0 = now();
    const wal = await openWal(path);
    const ms = now() - t0;
    const read = (bytesReadSoFar() ?? 0) - r0;
    const nextSeq = wal.nextSeq();
    await wal.close();
    return { ms, read, nextSeq };
  };
  const empty = await timeOpen(join(ctx.dir, 'empty.wal'));
  const first = await timeOpen(meta.path); // recovers (truncates) the torn tail
  const again = await timeOpen(meta.path); // clean open
  // Where the time goes: core's tail recovery alone on the big file, and a bare worker thread's start.
  const { recoverTail } = await importPeer<CoreRecover>('@threadwal/core');
  const fd = openSync(meta.path, 'r');
  const tr = now();
  const tail = recoverTail(fd, meta.path, { truncate: false });
  const recoverMs = now() - tr;
  closeSync(fd);
  const tw = now();
  await new Promise((r) => new Worker('', { eval: true }).once('exit', r));
  const bareWorkerMs = now() - tw;
  const size = statSync(meta.path).size;
  if (first.nextSeq !== meta.lines) throw new Error(`open found nextSeq ${first.nextSeq}, the file has ${meta.lines} complete lines`);
  if (size !== meta.bytes) throw new Error(`after recovery the file is ${size} B, expected ${meta.bytes} (torn tail not truncated?)`);
  const extraKiB = round((first.read - empty.read) / 1024, 1);
  return {
    id: ctx.id,
    status: 'ok',
    detail: `open ${round(first.ms, 1)} ms (clean reopen ${round(again.ms, 1)}, empty WAL ${round(empty.ms, 1)}; core recoverTail alone ${round(recoverMs, 2)} ms, ` +
      `a bare new Worker() ${round(bareWorkerMs, 1)} ms); read ${extraKiB} KiB more than the empty open; torn tail dropped, nextSeq ok`,
    metrics: {
      fileBytes: meta.bytes, openMs: round(first.ms, 2), reopenMs: round(again.ms, 2), emptyOpenMs: round(empty.ms, 2),
      recoverTailMs: round(recoverMs, 3), recoverTailSize: tail.size, bareWorkerStartExitMs: round(bareWorkerMs, 1),
      bytesRead: first.read, bytesReadEmpty: empty.read, extraBytesRead: first.read - empty.read,
    },
  };
}

interface Maintenance {
  verify?: (path: string) => Promise<unknown>;
  cleanup?: (path: string, maxAgeSecs: number) => Promise<unknown>;
  closePool?: () => Promise<void>;
}

async function loadMaintenance(): Promise<Maintenance> {
  return importPeer<Maintenance>('@threadwal/maintenance').catch((err: Error) => {
    throw new Unavailable(`not available: ${err.message}`);
  });
}

/** The few fields of a verify report / cleanup result worth a table cell; anything else is shortened JSON. */
function brief(v: unknown): string {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (typeof o.ok === 'boolean') return `ok=${o.ok}, ${String(o.events)} events, seq ${String(o.firstSeq)}..${String(o.lastSeq)}`;
  if (typeof o.removed === 'number') return `removed ${o.removed} events`;
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

async function timed(ctx: CaseContext, what: 'verify' | 'cleanup'): Promise<CaseResult> {
  const meta = readMeta(ctx);
  const m = await loadMaintenance();
  const fn = m[what];
  if (typeof fn !== 'function') throw new Unavailable(`not available: @threadwal/maintenance exports no ${what}()`);
  const size = statSync(meta.path).size;
  const rss0 = round(process.memoryUsage().rss / 1024 ** 2, 1);
  const t0 = now();
  const out = what === 'verify' ? await (fn as (p: string) => Promise<unknown>)(meta.path) : await fn(meta.path, DAY_S);
  const ms = now() - t0;
  const peak = peakRssMb();
  await m.closePool?.();
  // The file is valid by construction (big-open already cut the torn tail, or verify reports it as such).
  if (what === 'verify' && (out as { ok?: boolean }).ok === false) throw new Error(`verify says the generated WAL is not ok: ${brief(out)}`);
  const mbPerSec = round(size / MB / (ms / 1000), 1);
  return {
    id: ctx.id,
    status: 'ok',
    detail: `${mbPerSec} MB/s over ${round(size / 1024 ** 2)} MiB, peak RSS ${peak} MB (${rss0} MB at start); ${brief(out)}`,
    metrics: { fileBytes: size, ms: round(ms, 1), mbPerSec, peakRssMb: peak, startRssMb: rss0 },
  };
}

export const verify = (ctx: CaseContext): Promise<CaseResult> => timed(ctx, 'verify');

/**
 * Stress (issue 15): paced 10k/s appends to a WAL while cleanup(path, 1 day) of that same
 * WAL, 1 GiB (its own copy, made here), runs. The measured window starts with the cleanup.
 */
export async function pacedDuringCleanup(ctx: CaseContext): Promise<CaseResult> {
  if (ctx.quick) return { id: ctx.id, status: 'skipped', note: 'a stress row: full runs only' };
  const rate = 10_000;
  const path = join(ctx.dir, 'stress.wal');
  const { meta } = writeBigWal(path, ctx.quick ? BIG_FILE_BYTES.quick : BIG_FILE_BYTES.full);
  const m = await loadMaintenance();
  if (typeof m.cleanup !== 'function') throw new Unavailable('not available: @threadwal/maintenance exports no cleanup()');
  const { openWal } = await loadClient();
  const { offer } = await import('./paced.js');
  const { event } = await import('../lib/workload.js');
  const { Latency } = await import('../lib/measure.js');
  const wal = await openWal<string>(path);
  try {
    const appender = { append: (i: number) => wal.append(event(i)), flush: () => wal.flush() };
    const warm = await offer(appender, rate, ctx.warmS, 0, null);
    const lat = new Latency();
    const t0 = now();
    let cleanupMs = 0;
    const cleaning = m.cleanup(path, DAY_S).then((out) => {
      cleanupMs = now() - t0;
      return out;
    });
    const r = await offer(appender, rate, ctx.measureS, warm.events, lat);
    const out = await cleaning;
    await m.closePool?.();
    return {
      id: ctx.id, status: 'ok', events: r.events, seconds: round(r.ms / 1000, 3), eventsPerSec: Math.round(r.events / (r.ms / 1000)),
      ack: lat.summary('event, from its scheduled time'),
      detail: `offered 10k/s while cleanup of ${round(meta.bytes / 1024 ** 2)} MiB ran for ${round(cleanupMs)} ms of the ${round(r.ms)} ms measured (${brief(out)}); max issue lag ${round(r.maxLagMs, 2)} ms`,
      metrics: { cleanupMs: round(cleanupMs, 1), fileBytes: meta.bytes, maxIssueLagMs: round(r.maxLagMs, 3) },
    };
  } finally {
    await wal.close();
  }
}
export const cleanup = (ctx: CaseContext): Promise<CaseResult> => timed(ctx, 'cleanup');
