// Case 2: the obvious async port: fs.promises FileHandle write + datasync per event. With 64
// appenders on one shared handle, each awaits its own write + datasync; libuv's pool (4
// threads) runs them, and ext4's journal may merge some of the concurrent flushes.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Latency, now, round, throughput, warmThenMeasure, type CaseResult } from '../lib/measure.js';
import { line, type CaseContext } from '../lib/workload.js';

async function run(ctx: CaseContext, appenders: number): Promise<CaseResult> {
  const fh = await open(join(ctx.dir, 'fsp.wal'), 'a');
  let seq = 0;
  try {
    const phase = async (seconds: number, lat: Latency | null): Promise<number> => {
      const end = now() + seconds * 1000;
      let events = 0;
      const appender = async (): Promise<void> => {
        while (now() < end) {
          const s = seq++;
          const t = now();
          await fh.write(line(s, s));
          await fh.datasync();
          lat?.recordMs(now() - t);
          events += 1;
        }
      };
      await Promise.all(Array.from({ length: appenders }, appender));
      return events;
    };
    const { events, ms, lat, cpuMs, cpuHow } = await warmThenMeasure(ctx, phase);
    return throughput(ctx.id, events, ms, {
      ack: lat.summary('event'),
      cpuUsPerEvent: round((cpuMs * 1000) / events, 2),
      cpuOn: `main (${cpuHow})`,
      detail: appenders > 1 ? `${appenders} concurrent awaits on 1 FileHandle` : 'await write; await datasync',
    });
  } finally {
    await fh.close();
  }
}

export const one = (ctx: CaseContext): Promise<CaseResult> => run(ctx, 1);
export const many = (ctx: CaseContext): Promise<CaseResult> => run(ctx, 64);
