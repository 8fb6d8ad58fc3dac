// bench:ship's producer process: appends to argv[2] at argv[3] events/s for argv[4] seconds
// (appendNoWait in 1 ms ticks, one flush() per tick) after the parent says go, and sends
// the parent (seq durable through, wall time) marks: when each tick's flush resolved.
import { openWal } from '@threadwal/client';
import { wallNow } from './measure.js';
import { event } from './workload.js';

const [path, rateText, secondsText] = process.argv.slice(2) as [string, string, string];
const rate = Number(rateText);
const total = rate * Number(secondsText);
const wal = await openWal<string>(path);
await wal.append(event(0)); // seq 0: the shipper connects on it
process.send!({ type: 'ready' });
await new Promise<void>((resolve) => process.once('message', () => resolve()));
const seqs: number[] = [];
const at: number[] = [];
let i = 0;
const t0 = performance.now();
while (i < total) {
  const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
  if (due > i) {
    for (; i < due; i++) wal.appendNoWait(event(i + 1));
    void wal.flush().then(() => { seqs.push(wal.lastSeq); at.push(wallNow()); });
  }
  await new Promise((r) => setTimeout(r, 1));
}
await wal.flush();
const ms = performance.now() - t0;
seqs.push(wal.lastSeq);
at.push(wallNow());
await wal.close();
process.send!({ type: 'done', seqs, at, appendedPerSec: (total * 1000) / ms, last: seqs[seqs.length - 1] }, () => process.exit(0));
