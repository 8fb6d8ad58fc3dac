// What appendRaw's JSON check costs per event (issue 22, item 4):
// `node dist-scripts/bench/raw-scan.js [--rounds N] [--events N]`.
// One process, rounds alternating in both orders, a typical pino line as the output text:
//   raw+scan  writeRawBody as shipped (head, then the text copied, then isJsonValue over it)
//   scan      isJsonValue alone over the same output bytes
//   raw       raw+scan minus scan: what writeRawBody costs without the check
//   object    writeBody with the output as an object (what append() pays to serialize it)
// Medians over rounds, ns per event. CPU-bound and single-threaded; run it under the
// machine lock and compare numbers within one run only.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { isJsonValue, writeBody, writeRawBody } from '@threadwal/core';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, events: { type: 'string', default: '200000' } } });
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);

const OUTPUT = '{"level":30,"time":1715800000123,"pid":48213,"hostname":"api-7f9c4d-x2v8k","reqId":"req-7f3a91","msg":"request completed","res":{"statusCode":200},"responseTime":12.53}';
const HEAD = { type: 'info', job_id: 'http' };
const OBJECT = { ...HEAD, output: JSON.parse(OUTPUT) as unknown };
const MAX = 1024 * 1024;
const buf = Buffer.allocUnsafe(64 * 1024);
const now = (): number => 1715800000123;

const bodyEnd = writeRawBody(HEAD, OUTPUT, buf, 0, MAX, now);
const outStart = bodyEnd - 2 - Buffer.byteLength(OUTPUT); // the output, then `}\n`
const outEnd = bodyEnd - 2;
if (!isJsonValue(buf, outStart, outEnd)) throw new Error('the bench output is not where expected');

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return ((performance.now() - t0) * 1e6) / EVENTS;
}

const cases: Record<string, () => void> = {
  'raw+scan': () => {
    for (let i = 0; i < EVENTS; i++) writeRawBody(HEAD, OUTPUT, buf, 0, MAX, now);
  },
  scan: () => {
    let ok = 0;
    for (let i = 0; i < EVENTS; i++) if (isJsonValue(buf, outStart, outEnd)) ok++;
    if (ok !== EVENTS) throw new Error('scan failed');
  },
  object: () => {
    for (let i = 0; i < EVENTS; i++) writeBody(OBJECT, buf, 0, MAX, now);
  },
};

const samples: Record<string, number[]> = { 'raw+scan': [], scan: [], object: [] };
const names = Object.keys(cases);
for (const name of names) cases[name]!(); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? names : [...names].reverse();
  for (const name of order) samples[name]!.push(time(cases[name]!));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const m = Object.fromEntries(names.map((n) => [n, median(samples[n]!)]));
const lineBytes = bodyEnd + '{"seq":1234567,'.length;
console.log(`output ${Buffer.byteLength(OUTPUT)} B, line ~${lineBytes} B; ${ROUNDS} rounds x ${EVENTS} events; node ${process.version}`);
console.log(`raw+scan  ${m['raw+scan']!.toFixed(1)} ns/event   (writeRawBody as shipped)`);
console.log(`scan      ${m.scan!.toFixed(1)} ns/event   (isJsonValue alone, ${(m.scan! / Buffer.byteLength(OUTPUT)).toFixed(2)} ns/byte)`);
console.log(`raw       ${(m['raw+scan']! - m.scan!).toFixed(1)} ns/event   (raw+scan minus scan)`);
console.log(`object    ${m.object!.toFixed(1)} ns/event   (writeBody of the parsed output: append()'s serialization)`);
