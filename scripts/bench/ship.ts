// `pnpm bench:ship [--quick] [--out FILE]`: @threadwal/ship against a real nats-server
// (Debian's 2.9.10), one node (R1) and a 3-node loopback cluster (R3), everything in one run
// so the rows compare as ratios. A script of its own rather than cases in catalog.ts: it needs
// nats-server, its ratios are to raw publishing, and it would not fit `pnpm bench --quick`.
//
// Rows:
// - readers: readWal's MB/s parsing every line beside the raw reader's (records and chunks),
//   same WAL, interleaved rounds; one producer's appendNoWait rate (the pace to keep up with);
// - per R1/R3: ship batched (the defaults, and a maxBytes sweep), ship one event per message,
//   each beside raw PUB of the same bytes (the messages the shipper stored, replayed with the
//   same client, no headers; for one per message also with ship's five headers), with client
//   and nats-server CPU per event (2 cores: they share them). Ship's rate is from its first
//   ack to its last (raw's from its first publish), the wall rate is in the note;
// - end-to-end lag, append durable → stream ack, p50/p99 at 10k (R1, R3) and 200k (R1) events/s offered,
//   the producer in a process of its own (ship-producer.ts), the shipper in this one.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openWal } from '@threadwal/client';
import { readWal } from '@threadwal/maintenance';
import { ship, type BatchOptions } from '@threadwal/ship';
import { natsAvailable, startServer, startCluster, type NatsServer } from '@threadwal/ship/testing';
import { now, round } from './lib/measure.js';
import { event } from './lib/workload.js';
import { measured, bodiesOf, rawPub, setServerPids, type Measured } from './lib/ship-raw.js';
import { pacedLag, appendNoWaitRate } from './lib/ship-lag.js';

interface Row {
  id: string;
  title: string;
  events?: number;
  messages?: number;
  eventsPerSec?: number;
  mbPerSec?: number;
  ratio?: number;
  clientUs?: number;
  serverUs?: number;
  p50Ms?: number;
  p99Ms?: number;
  note?: string;
}

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, out: { type: 'string' } } });
const QUICK = values.quick === true;
const N_BATCH = QUICK ? 200_000 : 1_000_000;
const N_ONE = QUICK ? 20_000 : 100_000;
const PACED_S = QUICK ? 3 : 10;
const dir = mkdtempSync(join(tmpdir(), 'threadwal-bench-ship-'));
const rows: Row[] = [];
let streams = 0;

async function makeWal(n: number): Promise<string> {
  const path = join(dir, `w${++streams}.wal`);
  const wal = await openWal<string>(path);
  for (let i = 0; i < n; i++) {
    wal.appendNoWait(event(i));
    if (i % 10_000 === 9_999) await wal.flush();
  }
  await wal.close();
  return path;
}

async function readers(path: string): Promise<void> {
  const mb = statSync(path).size / 1e6;
  const best = { parsed: 0, raw: 0, chunks: 0 };
  for (let round_ = 0; round_ < 3; round_++) {
    let t = now();
    for await (const r of readWal(path)) if (r.seq < 0) throw new Error('unreachable');
    best.parsed = Math.max(best.parsed, mb / ((now() - t) / 1000));
    t = now();
    for await (const r of readWal(path, { raw: true })) if (r.seq < 0) throw new Error('unreachable');
    best.raw = Math.max(best.raw, mb / ((now() - t) / 1000));
    t = now();
    for await (const c of readWal(path, { raw: 'chunks' })) if (c.count < 0) throw new Error('unreachable');
    best.chunks = Math.max(best.chunks, mb / ((now() - t) / 1000));
  }
  const note = `${round(mb)} MB WAL, best of 3 interleaved rounds`;
  rows.push({ id: 'read-parsed', title: 'readWal (JSON.parse every line)', mbPerSec: round(best.parsed), ratio: 1, note });
  rows.push({ id: 'read-raw', title: 'readWal raw: { seq, line } records', mbPerSec: round(best.raw), ratio: round(best.raw / best.parsed, 1), note: '× readWal parsed' });
  rows.push({ id: 'read-chunks', title: "readWal raw: 'chunks' (what ship reads)", mbPerSec: round(best.chunks), ratio: round(best.chunks / best.parsed, 1), note: '× readWal parsed' });
}

/**
 * Ships the whole WAL `--once`. The rate is the steady state: events acked after the first
 * message, over the time from that first ack to the last (connect, stream creation and the
 * final checkpoint are not shipping); `wall` includes everything.
 */
async function shipRate(servers: string[], replicas: number, path: string, batch: BatchOptions | false | undefined): Promise<{ rate: number; wall: number; stream: string; messages: number; bytes: number }> {
  const stream = `SHIP${++streams}`;
  const t0 = now();
  let tFirst = 0;
  let tLast = 0;
  let firstDrain = 0;
  let inFirst = true;
  const r = await ship(path, {
    servers, stream, subject: `tw.${stream}`, createStream: true, replicas, batch, once: true, serverSyncIntervalMs: 0,
    onAcked: () => {
      tLast = now();
      if (tFirst === 0) { tFirst = tLast; queueMicrotask(() => { inFirst = false; }); }
      if (inFirst) firstDrain++;
    },
  }).done;
  const wall = (r.shipped * 1000) / (now() - t0);
  return { rate: ((r.shipped - firstDrain) * 1000) / (tLast - tFirst), wall, stream, messages: r.messages, bytes: r.shippedBytes };
}

/** A first stream on a fresh server or cluster waits for JetStream's meta leader: take that wait before measuring. */
async function warmUp(servers: string[], replicas: number, path: string): Promise<void> {
  await shipRate(servers, replicas, path, { maxEvents: 1000 });
}

function row(id: string, title: string, events: number, m: Measured, extra: Partial<Row> = {}): Row {
  const r: Row = { id, title, events, eventsPerSec: round(m.rate), clientUs: round(m.clientUs, 2), serverUs: round(m.serverUs, 2), ...extra };
  rows.push(r);
  return r;
}

async function suite(label: string, servers: string[], replicas: number, bigWal: string, smallWal: string): Promise<Record<string, number>> {
  // Batched, the defaults, then a sweep of maxBytes (what the defaults were chosen by).
  await warmUp(servers, replicas, smallWal);
  let info = { stream: '', messages: 0, bytes: 0, wall: 0 };
  const batched = await measured(N_BATCH, async () => { const r = await shipRate(servers, replicas, bigWal, undefined); info = r; return r.rate; });
  row(`ship-batch-${label}`, `ship, batched (defaults: 16384 events / 1 MiB), ${label}`, N_BATCH, batched, { messages: info.messages, mbPerSec: round((info.bytes / 1e6) / (N_BATCH / batched.rate)), note: `first to last ack; ${round(info.wall)} ev/s wall, connect and stream creation included` });
  const bodies = await bodiesOf(servers, info.stream);
  for (const w of [1, 8]) {
    const raw = await measured(N_BATCH, () => rawPub(servers, replicas, bodies, w));
    row(`raw-batch-w${w}-${label}`, `raw PUB of the same ${bodies.length} batch bodies, no headers, ${w} in flight, ${label}`, N_BATCH, raw, { messages: bodies.length, ratio: round(batched.rate / raw.rate, 2), note: 'ratio: ship / this' });
  }
  for (const maxBytes of [64 * 1024, 256 * 1024]) {
    let msgs = 0;
    const m = await measured(N_BATCH, async () => { const r = await shipRate(servers, replicas, bigWal, { maxBytes }); msgs = r.messages; return r.rate; });
    row(`ship-batch-${maxBytes / 1024}k-${label}`, `ship, batched, maxBytes ${maxBytes / 1024} KiB, ${label}`, N_BATCH, m, { messages: msgs, ratio: round(m.rate / batched.rate, 2), note: 'ratio: / defaults' });
  }
  // One event per message.
  let oneStream = '';
  let oneWall = 0;
  const one = await measured(N_ONE, async () => { const r = await shipRate(servers, replicas, smallWal, { maxEvents: 1 }); oneStream = r.stream; oneWall = r.wall; return r.rate; });
  row(`ship-one-${label}`, `ship, one event per message (--batch-events 1, window 1024), ${label}`, N_ONE, one, { messages: N_ONE, note: `first to last ack; ${round(oneWall)} ev/s wall` });
  const lines = await bodiesOf(servers, oneStream);
  const rawOne = await measured(N_ONE, () => rawPub(servers, replicas, lines, 1024));
  row(`raw-one-${label}`, `raw PUB of the same ${N_ONE} lines, no headers, window 1024, ${label}`, N_ONE, rawOne, { messages: N_ONE, ratio: round(one.rate / rawOne.rate, 2), note: 'ratio: ship / this' });
  const rawHdrs = await measured(N_ONE, () => rawPub(servers, replicas, lines, 1024, true));
  row(`raw-one-hdrs-${label}`, `raw PUB of the same lines with ship's 5 headers, window 1024, ${label}`, N_ONE, rawHdrs, { messages: N_ONE, ratio: round(one.rate / rawHdrs.rate, 2), note: 'ratio: ship / this' });
  rows.push({ id: `batch-vs-one-${label}`, title: `batched / one event per message, ${label}`, ratio: round(batched.rate / one.rate, 1) });
  // End-to-end lag.
  const lags: Record<string, number> = {};
  // 200k/s on R3 is not a target (R1 is) and wedged the loopback cluster: it is not run.
  const cases = [[10_000, undefined, 'batched'], [200_000, undefined, 'batched'], [10_000, { maxEvents: 1 }, 'one per message']] as const;
  for (const [rate, batch, name] of cases.filter(([rate]) => replicas === 1 || rate < 200_000)) {
    let r: Awaited<ReturnType<typeof pacedLag>>;
    try {
      r = await pacedLag(dir, servers, replicas, rate, PACED_S, batch);
    } catch (err) {
      rows.push({ id: `lag-${rate / 1000}k-${name.replace(/ /g, '-')}-${label}`, title: `lag append durable → stream ack, ${rate / 1000}k/s offered, ${name}, ${label}`, note: (err as Error).message });
      lags[`${rate}-${name}`] = Infinity;
      continue;
    }
    const s = r.lat.summary('event')!;
    rows.push({
      id: `lag-${rate / 1000}k-${name.replace(/ /g, '-')}-${label}`, title: `lag append durable → stream ack, ${rate / 1000}k/s offered, ${name}, ${label}`,
      events: s.samples, messages: r.messages, p50Ms: round(s.p50Us / 1000, 2), p99Ms: round(s.p99Us / 1000, 2),
      note: `producer reached ${round(r.appended / 1000)}k/s; ${r.beforeDurable} acked before their flush resolved`,
    });
    lags[`${rate}-${name}`] = s.p99Us / 1000;
  }
  return { batched: batched.rate, one: one.rate, lag200k: lags['200000-batched']! };
}

function table(): string {
  const head = '| case | events | messages | events/s | MB/s | ratio | client CPU µs/ev | server CPU µs/ev | p50 ms | p99 ms | note |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
  const v = (x: number | string | undefined): string => (x === undefined ? '' : String(x));
  const body = rows.map((r) => `| ${r.title} | ${v(r.events)} | ${v(r.messages)} | ${v(r.eventsPerSec)} | ${v(r.mbPerSec)} | ${v(r.ratio)} | ${v(r.clientUs)} | ${v(r.serverUs)} | ${v(r.p50Ms)} | ${v(r.p99Ms)} | ${v(r.note)} |`);
  return [head, ...body].join('\n');
}

const avail = natsAvailable();
if (!avail.ok) {
  console.log(`bench:ship skipped: ${avail.reason}`);
  process.exit(0);
}
const started: NatsServer[] = [];
const verdicts: string[] = [];
try {
  console.error(`bench:ship: ${avail.version}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${N_BATCH} events batched / ${N_ONE} one per message${QUICK ? ' (quick)' : ''}`);
  const bigWal = await makeWal(N_BATCH);
  const smallWal = await makeWal(N_ONE);
  await readers(bigWal);
  const nowait = await appendNoWaitRate(dir, N_BATCH);
  rows.push({ id: 'append-nowait', title: 'one producer, appendNoWait (flush per 1000), durable', events: N_BATCH, eventsPerSec: round(nowait) });
  // Its own name, so its own store dir: the cluster's node n1 once started on this one's
  // js-n1, holding these R1 streams, and never became current for any R3 stream (the run hung).
  const one = await startServer(dir, 'solo');
  started.push(one);
  setServerPids([one.child?.pid]);
  const r1 = await suite('R1', [one.url], 1, bigWal, smallWal);
  await one.stop();
  const cluster = await startCluster(dir);
  started.push(...cluster);
  setServerPids(cluster.map((n) => n.child?.pid));
  const r3 = await suite('R3', cluster.map((n) => n.url), 3, bigWal, smallWal);
  rows.push({ id: 'ship-vs-append-R1', title: 'ship batched R1 / one producer appendNoWait', ratio: round(r1.batched! / nowait, 2) });
  const rawRatio = rows.find((r) => r.id === 'read-raw')!.ratio!;
  const check = (ok: boolean, what: string): void => { verdicts.push(`${ok ? 'met   ' : 'MISSED'} ${what}`); };
  check(rawRatio >= 5, `raw reader ≥ 5× readWal parsed MB/s (${rawRatio}×)`);
  check(r1.batched! >= 500_000, `R1 batched ≥ 500,000 ev/s (${round(r1.batched!)})`);
  check(r1.batched! >= 10 * r1.one!, `R1 batched ≥ 10× one per message (${round(r1.batched! / r1.one!, 1)}×)`);
  check(r3.batched! >= 200_000, `R3 batched ≥ 200,000 ev/s (${round(r3.batched!)})`);
  check(r1.batched! >= 0.5 * nowait, `R1 batched ≥ 0.5× one producer's appendNoWait (${round(r1.batched! / nowait, 2)}×)`);
  check(r1.lag200k! <= 50, `lag p99 ≤ 50 ms at 200k/s offered, R1 (${round(r1.lag200k!, 1)} ms)`);
} catch (err) {
  // Print what was measured before the failure.
  verdicts.push(`FAILED ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
} finally {
  await Promise.all(started.map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
}
console.log(table());
console.log(`\n${verdicts.join('\n')}`);
console.log(`load after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
if (values.out) writeFileSync(values.out, `${JSON.stringify({ rows, verdicts, quick: QUICK, server: avail.version, load: loadavg() }, null, 2)}\n`);
