// `pnpm bench:ship [--quick] [--out FILE]`: @threadwal/ship against a real nats-server
// (Debian's 2.9.10), next to raw pipelined publishing with the same client in the same run,
// so the ratio shows what the shipper costs over the client's own ceiling. A script of its
// own rather than cases in catalog.ts: it needs nats-server (one node and a 3-node
// cluster), its ratios are to raw publishing rather than to case 1, and it would not fit
// `pnpm bench --quick`'s 60 s CI budget.
//
// Rows: events/s shipped (R1 file storage; R3 in a 3-node loopback cluster) for windows
// 1024 (the default) and 64; raw pipelining of the same payloads with the same client at
// window 1024, both as js.publish and as the shipper publishes (PUB + one reply inbox, the
// ceiling the ratio is taken to); and the end-to-end latency from `append` resolved (durable in the WAL) to the
// server's ack at 10k events/s offered (p50/p99).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, createInbox } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { openWal } from '@threadwal/client';
import { readWal } from '@threadwal/maintenance';
import { ship } from '@threadwal/ship';
import { natsAvailable, startServer, startCluster, type NatsServer } from '@threadwal/ship/testing';
import { Latency, now, round } from './lib/measure.js';
import { event } from './lib/workload.js';

interface Row {
  id: string;
  title: string;
  events: number;
  eventsPerSec?: number;
  ratioToRaw?: number;
  p50Ms?: number;
  p99Ms?: number;
}

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' } } });
const QUICK = values.quick === true;
const N = QUICK ? 20_000 : 100_000;
const PACED_S = QUICK ? 3 : 10;
const dir = mkdtempSync(join(tmpdir(), 'threadwal-bench-ship-'));
let streams = 0;

async function makeWal(n: number): Promise<string> {
  const path = join(dir, `w${++streams}.wal`);
  const wal = await openWal<string>(path);
  for (let i = 0; i < n; i += 1000) {
    const ps: Array<Promise<number>> = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) ps.push(wal.append(event(j)));
    await Promise.all(ps);
  }
  await wal.close();
  return path;
}

/** Raw pipelining with the same client: js.publish of the WAL's lines, `window` acks outstanding, no headers. */
async function raw(servers: string[], replicas: number, lines: string[], window: number): Promise<number> {
  const nc = await connect({ servers });
  try {
    const name = `RAW${++streams}`;
    await (await jetstreamManager(nc)).streams.add({ name, subjects: [name], storage: StorageType.File, num_replicas: replicas });
    const js = jetstream(nc);
    const t0 = now();
    const inflight: Array<Promise<unknown>> = [];
    let head = 0;
    for (const line of lines) {
      inflight.push(js.publish(name, line));
      if (inflight.length - head >= window) await inflight[head++];
    }
    await Promise.all(inflight.slice(head));
    return (lines.length * 1000) / (now() - t0);
  } finally {
    await nc.close();
  }
}

/** Raw pipelining the way the shipper publishes: PUB with a reply subject on one inbox subscription, `window` outstanding, no headers. */
async function rawInbox(servers: string[], replicas: number, lines: string[], window: number): Promise<number> {
  const nc = await connect({ servers });
  try {
    const name = `RAWI${++streams}`;
    await (await jetstreamManager(nc)).streams.add({ name, subjects: [name], storage: StorageType.File, num_replicas: replicas });
    const prefix = createInbox();
    let acked = 0;
    let wake: (() => void) | undefined;
    const sub = nc.subscribe(`${prefix}.*`, { callback: (_err, m) => { JSON.parse(m.string()); acked++; const w = wake; wake = undefined; w?.(); } });
    const t0 = now();
    for (let i = 0; i < lines.length; i++) {
      nc.publish(name, lines[i]!, { reply: `${prefix}.${i}` });
      while (i + 1 - acked >= window) await new Promise<void>((r) => { wake = r; });
    }
    while (acked < lines.length) await new Promise<void>((r) => { wake = r; });
    sub.unsubscribe();
    return (lines.length * 1000) / (now() - t0);
  } finally {
    await nc.close();
  }
}

async function shipRate(servers: string[], replicas: number, path: string, window: number): Promise<number> {
  const stream = `SHIP${++streams}`;
  const t0 = now();
  const r = await ship(path, { servers, stream, subject: `tw.${stream}`, createStream: true, replicas, window, once: true }).done;
  return (r.shipped * 1000) / (now() - t0);
}

/** Appends paced at `rate`/s for `seconds` while a shipper follows; latency from append resolved to server ack. */
async function paced(servers: string[], replicas: number, rate: number, seconds: number): Promise<Latency> {
  const path = join(dir, `paced${++streams}.wal`);
  const wal = await openWal<string>(path);
  const resolvedAt: number[] = [];
  const lat = new Latency();
  const stream = `PACED${streams}`;
  const shipper = ship(path, { servers, stream, subject: `tw.${stream}`, createStream: true, replicas, pollMs: 1, onAcked: (seq) => { const t = resolvedAt[seq]; if (t !== undefined) lat.recordMs(now() - t); } });
  // Let the shipper connect and create the stream first.
  await wal.append(event(0)).then((s) => { resolvedAt[s] = now(); });
  while (shipper.status().ackedSeq < 0) await new Promise((r) => setTimeout(r, 10));
  const total = rate * seconds;
  const t0 = now();
  let i = 0;
  while (i < total) {
    const due = t0 + (i * 1000) / rate;
    if (now() < due) { await new Promise((r) => setTimeout(r, Math.max(0, due - now() - 1))); continue; }
    for (; i < total && t0 + (i * 1000) / rate <= now(); i++) void wal.append(event(i)).then((s) => { resolvedAt[s] = now(); });
  }
  await wal.flush();
  const last = (await wal.stats()).nextSeq - 1;
  while (shipper.status().ackedSeq < last) await new Promise((r) => setTimeout(r, 10));
  await shipper.stop();
  await wal.close();
  return lat;
}

async function linesOf(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readWal(path)) out.push(JSON.stringify(r));
  return out;
}

async function suite(label: string, servers: string[], replicas: number, rows: Row[]): Promise<void> {
  const path = await makeWal(N);
  const lines = await linesOf(path);
  const jsRate = await raw(servers, replicas, lines, 1024);
  const rawRate = await rawInbox(servers, replicas, lines, 1024);
  rows.push({ id: `raw-js-${label}`, title: `raw js.publish pipelined, window 1024, ${label}`, events: N, eventsPerSec: round(jsRate), ratioToRaw: round(jsRate / rawRate, 2) });
  rows.push({ id: `raw-${label}`, title: `raw PUB + reply inbox pipelined, window 1024, ${label} (the ceiling)`, events: N, eventsPerSec: round(rawRate), ratioToRaw: 1 });
  for (const window of [1024, 64]) {
    const r = await shipRate(servers, replicas, path, window);
    rows.push({ id: `ship-${label}-w${window}`, title: `ship --once, window ${window}, ${label}`, events: N, eventsPerSec: round(r), ratioToRaw: round(r / rawRate, 2) });
  }
  const lat = await paced(servers, replicas, 10_000, PACED_S);
  const s = lat.summary('event')!;
  rows.push({ id: `e2e-${label}`, title: `append resolved → server ack, 10k events/s offered, ${label}`, events: s.samples, p50Ms: round(s.p50Us / 1000, 2), p99Ms: round(s.p99Us / 1000, 2) });
}

function table(rows: Row[]): string {
  const head = '| case | events | events/s | × raw | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|';
  const body = rows.map((r) => `| ${r.title} | ${r.events} | ${r.eventsPerSec ?? ''} | ${r.ratioToRaw ?? ''} | ${r.p50Ms ?? ''} | ${r.p99Ms ?? ''} |`);
  return [head, ...body].join('\n');
}

const avail = natsAvailable();
if (!avail.ok) {
  console.log(`bench:ship skipped: ${avail.reason}`);
  process.exit(0);
}
const rows: Row[] = [];
const started: NatsServer[] = [];
try {
  console.error(`bench:ship: ${avail.version}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${N} events${QUICK ? ' (quick)' : ''}`);
  const one = await startServer(dir);
  started.push(one);
  await suite('R1', [one.url], 1, rows);
  await one.stop();
  const cluster = await startCluster(dir);
  started.push(...cluster);
  await suite('R3', cluster.map((n) => n.url), 3, rows);
} finally {
  await Promise.all(started.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
}
const out = table(rows);
console.log(out);
console.log(`load after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
if (values.out) writeFileSync(values.out, `${JSON.stringify({ rows, quick: QUICK, server: avail.version, load: loadavg() }, null, 2)}\n`);
