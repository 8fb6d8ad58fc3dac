// Turns the case results of one run into the table, the target verdicts and the JSON record.
// Ratios and targets only ever compare figures measured in the same run.
import { BASELINE_ID, CASES } from '../catalog.js';
import type { CaseResult } from './measure.js';

export interface Target {
  name: string;
  measured: string;
  /** null: could not be judged in this run (case missing, or quick mode's smaller file). */
  pass: boolean | null;
}

const byId = (results: CaseResult[], id: string): CaseResult | undefined => results.find((r) => r.id === id && r.status === 'ok');

export function ratioToBaseline(results: CaseResult[], r: CaseResult): number | undefined {
  const base = byId(results, BASELINE_ID)?.eventsPerSec;
  return base && r.eventsPerSec !== undefined ? r.eventsPerSec / base : undefined;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function us(x: number | undefined): string {
  if (x === undefined) return '';
  if (x < 1000) return `${x < 10 ? x.toFixed(1) : Math.round(x)} µs`;
  return `${(x / 1000).toFixed(x < 10_000 ? 2 : 1)} ms`;
}

function ratio(x: number | undefined): string {
  if (x === undefined) return '';
  return x >= 10 ? `×${int(x)}` : `×${x.toFixed(2)}`;
}

/** One fixed-width table of every case of the run, in catalog order. */
export function renderTable(results: CaseResult[]): string {
  const header = ['#', 'case', 'what', 'durable ev/s', 'vs case 1', 'ack p50', 'ack p99', 'ack p99.9', 'ack is per', 'CPU µs/ev', 'detail'];
  const rows: string[][] = [];
  for (const spec of CASES) {
    const r = results.find((x) => x.id === spec.id);
    if (!r) continue;
    if (r.status !== 'ok') {
      rows.push([String(spec.group), spec.id, spec.title, r.status.toUpperCase(), '', '', '', '', '', '', r.note ?? '']);
      continue;
    }
    rows.push([
      String(spec.group), spec.id, spec.title,
      r.eventsPerSec !== undefined ? int(r.eventsPerSec) : '',
      ratio(ratioToBaseline(results, r)),
      us(r.ack?.p50Us), us(r.ack?.p99Us), us(r.ack?.p999Us), r.ack?.per ?? '',
      r.cpuUsPerEvent !== undefined ? r.cpuUsPerEvent.toFixed(r.cpuUsPerEvent < 10 ? 2 : 0) : '',
      [r.detail, r.note].filter(Boolean).join('; '),
    ]);
  }
  const right = new Set([3, 4, 5, 6, 7, 9]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const fmt = (row: string[]): string => row.map((cell, c) => (c === row.length - 1 ? cell : right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const rule = widths.map((w, c) => '-'.repeat(c === widths.length - 1 ? Math.min(w, 40) : w)).join('  ');
  return [fmt(header), rule, ...rows.map(fmt)].join('\n');
}

/** The targets, judged on this run's figures. A miss is reported, never fatal. */
export function judgeTargets(results: CaseResult[], quick: boolean): Target[] {
  const out: Target[] = [];
  const base = byId(results, BASELINE_ID)?.eventsPerSec;
  const missing = (name: string, id: string): Target => ({ name, measured: `${id} not measured in this run`, pass: null });

  for (const id of ['tw-window', 'tw-pipe', 'tw-nowait']) {
    const name = `${id}: 1 producer ≥ 1,000,000 durable ev/s and ≥ 100× case 1`;
    const r = byId(results, id);
    if (!r?.eventsPerSec) { out.push(missing(name, id)); continue; }
    const x = base ? r.eventsPerSec / base : undefined;
    out.push({ name, measured: `${int(r.eventsPerSec)} ev/s, ${x === undefined ? 'case 1 not measured' : ratio(x)}`, pass: r.eventsPerSec >= 1e6 && (x === undefined ? false : x >= 100) });
  }
  for (const [id, need, label] of [['tw-threads4', 1e6, '4 producer threads ≥ 1,000,000 ev/s total'], ['tw-procs4', 250e3, '4 processes ≥ 250,000 ev/s total']] as const) {
    const r = byId(results, id);
    out.push(r?.eventsPerSec ? { name: `${id}: ${label}`, measured: `${int(r.eventsPerSec)} ev/s`, pass: r.eventsPerSec >= need } : missing(`${id}: ${label}`, id));
  }
  // Issue 15: latency against raw write+fdatasync and against the bare thread hop, same run.
  const raw = byId(results, 'raw-fdatasync')?.ack?.p99Us;
  for (const rate of ['1k', '10k']) {
    const id = `paced-${rate}`;
    const a = byId(results, id)?.ack;
    const floor = byId(results, `floor-${rate}`)?.ack?.p99Us;
    const vsRaw = `${id}: p99 ≤ 3× raw write+fdatasync p99 (same run)`;
    out.push(a !== undefined && raw !== undefined
      ? { name: vsRaw, measured: `${us(a.p99Us)} vs 3 × ${us(raw)} = ${us(3 * raw)} (${(a.p99Us / raw).toFixed(2)}×)`, pass: a.p99Us <= 3 * raw }
      : missing(vsRaw, a === undefined ? id : 'raw-fdatasync'));
    const vsFloor = `${id}: p99 ≤ 1.2× floor-${rate} p99 (same run)`;
    out.push(a !== undefined && floor !== undefined
      ? { name: vsFloor, measured: `${us(a.p99Us)} vs 1.2 × ${us(floor)} = ${us(1.2 * floor)} (${(a.p99Us / floor).toFixed(2)}×)`, pass: a.p99Us <= 1.2 * floor }
      : missing(vsFloor, a === undefined ? id : `floor-${rate}`));
    const tail = `${id}: p99.9 ≤ 10× raw write+fdatasync p99 (same run)`;
    out.push(a?.p999Us !== undefined && raw !== undefined
      ? { name: tail, measured: `${us(a.p999Us)} vs 10 × ${us(raw)} = ${us(10 * raw)} (${(a.p999Us / raw).toFixed(2)}×)`, pass: a.p999Us <= 10 * raw }
      : missing(tail, a === undefined ? id : 'raw-fdatasync'));
  }
  {
    const name = 'paced-100k: p99 ≤ 5 ms';
    const p = byId(results, 'paced-100k')?.ack?.p99Us;
    out.push(p !== undefined ? { name, measured: us(p), pass: p <= 5000 } : missing(name, 'paced-100k'));
  }
  for (const id of ['tw-window', 'tw-pipe', 'tw-nowait']) {
    const name = `${id}: main-thread cost ≤ 1 µs per append`;
    const c = byId(results, id)?.cpuUsPerEvent;
    out.push(c !== undefined ? { name, measured: `${c.toFixed(3)} µs`, pass: c <= 1 } : missing(name, id));
  }
  {
    const tw = byId(results, 'pino-tw');
    const dest = byId(results, 'pino-dest');
    const transport = byId(results, 'pino');
    const name1 = 'pino-tw: ≥ 500,000 durable lines/s from one thread';
    out.push(tw?.eventsPerSec ? { name: name1, measured: `${int(tw.eventsPerSec)} lines/s`, pass: tw.eventsPerSec >= 500e3 } : missing(name1, 'pino-tw'));
    const name2 = "pino-tw: main-thread µs per log call ≤ 1.5× pino.destination()'s (pino-dest)";
    out.push(tw?.cpuUsPerEvent !== undefined && dest?.cpuUsPerEvent !== undefined
      ? { name: name2, measured: `${tw.cpuUsPerEvent.toFixed(2)} vs ${dest.cpuUsPerEvent.toFixed(2)} µs (${(tw.cpuUsPerEvent / dest.cpuUsPerEvent).toFixed(2)}×)`, pass: tw.cpuUsPerEvent <= 1.5 * dest.cpuUsPerEvent }
      : missing(name2, tw ? 'pino-dest' : 'pino-tw'));
    const name3 = "pino-tw: ≥ 2× pino's own transport throughput (pino row, not durable)";
    out.push(tw?.eventsPerSec && transport?.eventsPerSec
      ? { name: name3, measured: `${int(tw.eventsPerSec)} vs ${int(transport.eventsPerSec)} lines/s (${(tw.eventsPerSec / transport.eventsPerSec).toFixed(2)}×)`, pass: tw.eventsPerSec >= 2 * transport.eventsPerSec }
      : missing(name3, tw ? 'pino' : 'pino-tw'));
  }
  // Issue 21: the real server and the job runner, judged on the ratios their cases took
  // within each round (medians over rounds).
  for (const id of ['fastify-pinned', 'fastify-unpinned']) {
    const m = byId(results, id)?.metrics;
    const num = (k: string): number | undefined => (typeof m?.[k] === 'number' ? (m[k] as number) : undefined);
    const judge = (label: string, k: string, bound: number, atMost: boolean, show: (x: number) => string): void => {
      const name = `${id}: threadwal pinoDestination ${label}`;
      const x = num(`tw-dest.${k}`);
      out.push(x === undefined ? missing(name, id) : { name, measured: show(x), pass: atMost ? x <= bound : x >= bound });
    };
    const times = (x: number): string => `×${x.toFixed(2)}`;
    judge("req/s ≥ 0.85× pino.destination()'s", 'reqRatio', 0.85, false, (x) => `${times(x)} (${int(num('tw-dest.reqPerSec') ?? 0)} vs ${int(num('pino-dest.reqPerSec') ?? 0)} req/s)`);
    judge("p99 ≤ 1.5× pino.destination()'s", 'p99Ratio', 1.5, true, (x) => `${times(x)} (${us(num('tw-dest.p99Us'))} vs ${us(num('pino-dest.p99Us'))})`);
    judge("main-thread CPU/request ≤ 1.2× pino.destination()'s", 'cpuRatio', 1.2, true, (x) => `${times(x)} (${num('tw-dest.mainCpuUsPerReq')} vs ${num('pino-dest.mainCpuUsPerReq')} µs)`);
    judge("peak RSS ≤ 1.3× pino.destination()'s", 'rssRatio', 1.3, true, (x) => `${times(x)} (${Math.round(num('tw-dest.peakRssMb') ?? 0)} vs ${Math.round(num('pino-dest.peakRssMb') ?? 0)} MB)`);
    judge('≤ 500 fdatasyncs/s (nothing awaits)', 'fsyncsPerSec', 500, true, (x) => `${int(x)}/s at ${int(num('tw-dest.reqPerSec') ?? 0)} req/s, ${num('tw-dest.linesPerSync')} lines/sync`);
  }
  {
    const m = byId(results, 'jobs-piscina')?.metrics;
    const x = m?.['tw-thread.ratioToCeiling'];
    const name1 = 'jobs-piscina: threadwal per-thread client ≥ 0.85× the no-logging ceiling';
    out.push(typeof x === 'number' ? { name: name1, measured: `×${x.toFixed(2)} (${int(m!['tw-thread.jobsPerSec'] as number)} vs ${int(m!['none.jobsPerSec'] as number)} jobs/s)`, pass: x >= 0.85 } : missing(name1, 'jobs-piscina'));
    const r = m?.['tw-thread.rssRatio'];
    const name2 = "jobs-piscina: threadwal per-thread client's peak RSS ≤ 1.3× the ceiling's";
    out.push(typeof r === 'number' ? { name: name2, measured: `×${r.toFixed(2)} (${Math.round(m!['tw-thread.peakRssMb'] as number)} vs ${Math.round(m!['none.peakRssMb'] as number)} MB)`, pass: r <= 1.3 } : missing(name2, 'jobs-piscina'));
  }
  {
    const m = byId(results, 'big-open')?.metrics;
    const name = `big-open: open of a 1 GiB WAL < 50 ms${quick ? ' (quick run: 64 MiB file, not judged)' : ''}`;
    const ms = m?.openMs;
    out.push(typeof ms === 'number' ? { name, measured: `${ms} ms`, pass: quick ? null : ms < 50 } : missing(name, 'big-open'));
  }
  for (const id of ['big-verify', 'big-cleanup']) {
    const m = byId(results, id)?.metrics;
    const name = `${id}: ≥ 300 MB/s with peak RSS < 100 MB`;
    out.push(typeof m?.mbPerSec === 'number' && typeof m.peakRssMb === 'number'
      ? { name, measured: `${m.mbPerSec} MB/s, RSS ${m.peakRssMb} MB`, pass: m.mbPerSec >= 300 && m.peakRssMb < 100 }
      : missing(name, id));
  }
  return out;
}

export function renderTargets(targets: Target[]): string {
  const w = Math.max(...targets.map((t) => t.name.length));
  return targets.map((t) => `${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS'}  ${t.name.padEnd(w)}  ${t.measured}`).join('\n');
}

/**
 * The latency rows side by side: each paced threadwal row with the floor row of its rate
 * and raw write+fdatasync, and the ratios of its p50/p99/p99.9 to them (same run): to the
 * floor row (the lower p99 of the floor's two mechanisms), to the floor's MessagePort
 * mechanism alone (threadwal's own), and to raw.
 */
export function renderLatencyRatios(results: CaseResult[]): string {
  const raw = byId(results, 'raw-fdatasync')?.ack;
  const header = ['offered', 'threadwal p50/p99/p99.9', 'floor p50/p99/p99.9', 'raw p50/p99/p99.9', 'tw ÷ floor', 'tw ÷ port floor', 'tw ÷ raw'];
  const rows: string[][] = [];
  const three = (a: { p50Us: number; p99Us: number; p999Us?: number } | undefined): string =>
    a ? `${us(a.p50Us)} / ${us(a.p99Us)} / ${us(a.p999Us)}` : 'not run';
  const div = (a: { p50Us: number; p99Us: number; p999Us?: number } | undefined, b: { p50Us: number; p99Us: number; p999Us?: number } | undefined): string =>
    a && b ? `${(a.p50Us / b.p50Us).toFixed(2)} / ${(a.p99Us / b.p99Us).toFixed(2)} / ${((a.p999Us ?? 0) / (b.p999Us ?? 1)).toFixed(2)}` : '';
  const pairs = [
    ['1k/s', 'paced-1k', 'floor-1k'], ['10k/s', 'paced-10k', 'floor-10k'], ['100k/s', 'paced-100k', 'floor-100k'],
    ['4 threads × 10k/s', 'paced-4x10k', 'floor-10k'], ['10k/s during cleanup', 'paced-cleanup', 'floor-10k'],
  ] as const;
  for (const [label, twId, floorId] of pairs) {
    const tw = byId(results, twId)?.ack;
    const floorRow = byId(results, floorId);
    const floor = floorRow?.ack;
    if (!tw) continue;
    // The floor row keeps the lower p99 of its two mechanisms, a minimum of two noisy draws;
    // the port floor is the same wake-up mechanism as threadwal's, measured once.
    const m = floorRow?.metrics ?? {};
    const port = typeof m.portP99Us === 'number' ? { p50Us: m.portP50Us as number, p99Us: m.portP99Us, p999Us: m.portP999Us as number } : undefined;
    rows.push([label, three(tw), three(floor), three(raw), div(tw, floor), div(tw, port), div(tw, raw)]);
  }
  if (rows.length === 0) return '';
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const fmt = (row: string[]): string => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
