// bench:ship's shipper process for the lag rows: ships argv[2]'s WAL (JSON: path, servers,
// stream, replicas, batch, events) following it, as `threadwal ship` runs beside an app, and
// records when each seq was acknowledged (wall clock, shared with the producer process).
// On the parent's `{ last }` it waits for that seq's ack, stops, writes the ack times to
// `out` (Float64 per seq) and says done.
import { writeFileSync } from 'node:fs';
import { ship, type BatchOptions } from '@threadwal/ship';
import { wallNow } from './measure.js';

const o = JSON.parse(process.argv[2]!) as { path: string; servers: string[]; stream: string; replicas: number; batch: BatchOptions | undefined; events: number; out: string };
const ackAt = new Float64Array(o.events + 2);
const shipper = ship(o.path, {
  servers: o.servers, stream: o.stream, subject: `tw.${o.stream}`, createStream: true, replicas: o.replicas, pollMs: 1, batch: o.batch, serverSyncIntervalMs: 0,
  onAcked: (seq) => { if (seq < ackAt.length) ackAt[seq] = wallNow(); },
});
while (shipper.status().ackedSeq < 0) await new Promise((r) => setTimeout(r, 10));
process.send!({ type: 'ready' });
const { last } = await new Promise<{ last: number }>((resolve) => process.once('message', (m) => resolve(m as { last: number })));
while (shipper.status().ackedSeq < last) await new Promise((r) => setTimeout(r, 5));
const r = await shipper.stop();
writeFileSync(o.out, new Uint8Array(ackAt.buffer));
process.send!({ type: 'done', messages: r.messages }, () => process.exit(0));
