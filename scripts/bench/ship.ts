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
// ceiling the ratio is taken to), and the same PUB with only Nats-Msg-Id and with the five
// headers ship sends (the server's share of the cost); client and nats-server CPU per event
// for each (on 2 cores they share the CPU); the shipper's client stages alone; and the end-to-end latency from `append` resolved (durable in the WAL) to the
// server's ack at 10k events/s offered (p50/p99).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect, createInbox, headers, type MsgHdrs } from '@nats-io/transport-node';
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
  /** CPU per event of this process (the client) and of the nats-server process(es), in µs. */
  clientUs?: number;
  serverUs?: number;
}

/** CPU time (µs) of a nats-server process so far, from /proc (clock ticks of 10 ms). */
function procCpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * (1e6 / 100);
  } catch {
    return 0;
  }
}

let serverPids: Array<number | undefined> = [];
const serverCpuUs = (): number => serverPids.reduce<number>((a, p) => a + procCpuUs(p), 0);

interface Measured { rate: number; clientUs: number; serverUs: number }

/** Runs `fn` (which handles `n` events and resolves with its own rate) and adds the CPU per event of both sides. */
async function measured(n: number, fn: () => Promise<number>): Promise<Measured> {
  const c0 = process.cpuUsage();
  const s0 = serverCpuUs();
  const rate = await fn();
  const c = process.cpuUsage(c0);
  return { rate, clientUs: (c.user + c.system) / n, serverUs: (serverCpuUs() - s0) / n };
}

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' } } });
const QUICK = values.quick === true;
const N = QUICK ? 20_000 : 100_000;
const PACED_S = QUICK ? 3 : 10;
const TE = new TextEncoder();
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

type HeaderMode = 'none' | 'msgid' | 'ship';

/**
 * Raw pipelining the way the shipper publishes: PUB with a reply subject on one inbox
 * subscription, `window` outstanding. `hdrs`: none; only Nats-Msg-Id; or the five headers
 * ship sends (Msg-Id, Expected-Stream, Expected-Last-Sequence with the correct sequence of
 * a fresh stream, Threadwal-Seq, Threadwal-Id), so the server does all the checks it does
 * for ship.
 */
async function rawInbox(servers: string[], replicas: number, lines: string[], window: number, hdrs: HeaderMode): Promise<number> {
  const nc = await connect({ servers });
  try {
    const name = `RAWI${++streams}`;
    await (await jetstreamManager(nc)).streams.add({ name, subjects: [name], storage: StorageType.File, num_replicas: replicas });
    const prefix = createInbox();
    const walId = 'bench0123456789abcdef';
    let acked = 0;
    let wake: (() => void) | undefined;
    const sub = nc.subscribe(`${prefix}.*`, { callback: (_err, m) => {
      const v = JSON.parse(m.string()) as { error?: { description: string } };
      if (v.error) throw new Error(`raw publish refused: ${v.error.description}`);
      acked++; const w = wake; wake = undefined; w?.();
    } });
    const t0 = now();
    for (let i = 0; i < lines.length; i++) {
      let h: MsgHdrs | undefined;
      if (hdrs !== 'none') {
        h = headers();
        h.set('Nats-Msg-Id', `${walId}:${i}`);
        if (hdrs === 'ship') {
          h.set('Nats-Expected-Stream', name);
          h.set('Nats-Expected-Last-Sequence', String(i));
          h.set('Threadwal-Seq', String(i));
          h.set('Threadwal-Id', walId);
        }
      }
      nc.publish(name, lines[i]!, h ? { reply: `${prefix}.${i}`, headers: h } : { reply: `${prefix}.${i}` });
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

/** Client-side stages of the shipper, each alone over the same WAL, in µs per event (no server involved). */
async function stages(path: string, rows: Row[]): Promise<void> {
  const stage = (id: string, title: string, us: number): void => { rows.push({ id: `stage-${id}`, title: `client stage: ${title}`, events: N, clientUs: round(us, 2) }); };
  let t0 = now();
  const recs: unknown[] = [];
  for await (const r of readWal(path)) recs.push(r);
  stage('read', 'readWal (read + parse every line)', ((now() - t0) * 1000) / N);
  t0 = now();
  let bytes = 0;
  for (const r of recs) bytes += Buffer.byteLength(JSON.stringify(r));
  stage('stringify', 'JSON.stringify of each record + byteLength', ((now() - t0) * 1000) / N);
  t0 = now();
  for (let i = 0; i < N; i++) {
    const h = headers();
    h.set('Nats-Msg-Id', `w:${i}`);
    h.set('Nats-Expected-Stream', 'S');
    h.set('Nats-Expected-Last-Sequence', String(i));
    h.set('Threadwal-Seq', String(i));
    h.set('Threadwal-Id', 'w');
    bytes += TE.encode(h.toString()).length; // what publish() does with them
  }
  stage('headers', 'headers(): 5 set() + encode()', ((now() - t0) * 1000) / N);
  if (bytes < 0) console.log(bytes);
}

async function suite(label: string, servers: string[], replicas: number, rows: Row[]): Promise<void> {
  const path = await makeWal(N);
  const lines = await linesOf(path);
  if (replicas === 1) await stages(path, rows);
  const row = (id: string, title: string, m: Measured, ceiling: number): void => {
    rows.push({ id: `${id}-${label}`, title: `${title}, ${label}`, events: N, eventsPerSec: round(m.rate), ratioToRaw: round(m.rate / ceiling, 2), clientUs: round(m.clientUs, 1), serverUs: round(m.serverUs, 1) });
  };
  const js = await measured(N, () => raw(servers, replicas, lines, 1024));
  const bare = await measured(N, () => rawInbox(servers, replicas, lines, 1024, 'none'));
  const msgid = await measured(N, () => rawInbox(servers, replicas, lines, 1024, 'msgid'));
  const hdrs = await measured(N, () => rawInbox(servers, replicas, lines, 1024, 'ship'));
  row('raw-js', 'raw js.publish pipelined, window 1024', js, bare.rate);
  row('raw', 'raw PUB + reply inbox, no headers, window 1024 (the ceiling)', bare, bare.rate);
  row('raw-msgid', 'raw PUB + reply inbox, Nats-Msg-Id only, window 1024', msgid, bare.rate);
  row('raw-hdrs', "raw PUB + reply inbox, ship's 5 headers, window 1024", hdrs, bare.rate);
  for (const window of [1024, 64]) {
    const m = await measured(N, () => shipRate(servers, replicas, path, window));
    row(`ship-w${window}`, `ship --once, window ${window}`, m, bare.rate);
    if (window === 1024) rows.push({ id: `ship-vs-hdrs-${label}`, title: `ship --once w1024 / raw PUB with ship's headers, ${label}`, events: N, ratioToRaw: round(m.rate / hdrs.rate, 2) });
  }
  const lat = await paced(servers, replicas, 10_000, PACED_S);
  const s = lat.summary('event')!;
  rows.push({ id: `e2e-${label}`, title: `append resolved → server ack, 10k events/s offered, ${label}`, events: s.samples, p50Ms: round(s.p50Us / 1000, 2), p99Ms: round(s.p99Us / 1000, 2) });
}

function table(rows: Row[]): string {
  const head = '| case | events | events/s | × raw | client CPU µs/ev | server CPU µs/ev | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|';
  const body = rows.map((r) => `| ${r.title} | ${r.events} | ${r.eventsPerSec ?? ''} | ${r.ratioToRaw ?? ''} | ${r.clientUs ?? ''} | ${r.serverUs ?? ''} | ${r.p50Ms ?? ''} | ${r.p99Ms ?? ''} |`);
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
  serverPids = [one.child?.pid];
  await suite('R1', [one.url], 1, rows);
  await one.stop();
  const cluster = await startCluster(dir);
  started.push(...cluster);
  serverPids = cluster.map((n) => n.child?.pid);
  await suite('R3', cluster.map((n) => n.url), 3, rows);
} finally {
  await Promise.all(started.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
}
const out = table(rows);
console.log(out);
console.log(`load after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
if (values.out) writeFileSync(values.out, `${JSON.stringify({ rows, quick: QUICK, server: avail.version, load: loadavg() }, null, 2)}\n`);
