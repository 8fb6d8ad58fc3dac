// Case 4: embedded stores with real durability, the strongest peers. Both are optional
// dependencies (native addons): when one failed to install, its rows say so.
//  - better-sqlite3, journal_mode=WAL + synchronous=FULL (the WAL file is fsynced at every
//    commit), one insert per transaction and 1000 per transaction. Synchronous: it blocks
//    the event loop for the whole commit.
//  - lmdb-js: put() is queued and committed in batches by lmdb's own write thread; with
//    overlappingSync (the default on Linux) the put() promise resolves at commit and
//    `separateFlushed: true` hangs a `flushed` promise on it that resolves once the OS says
//    the commit is on disk. That is the per-event durable ack we wait for.
import { join } from 'node:path';
import { Latency, ThreadCpu, now, round, throughput, warmThenMeasure, type CaseResult } from '../lib/measure.js';
import { Unavailable, event, importPeer, type CaseContext } from '../lib/workload.js';

interface Statement {
  run(...args: unknown[]): unknown;
}
interface SqliteDb {
  pragma(s: string): unknown;
  exec(s: string): void;
  prepare(s: string): Statement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}
type SqliteCtor = new (path: string) => SqliteDb;

async function sqlite(ctx: CaseContext, perTxn: number): Promise<CaseResult> {
  const Database = (await importPeer<{ default: SqliteCtor }>('better-sqlite3')).default;
  let db: SqliteDb;
  try {
    db = new Database(join(ctx.dir, 'events.db'));
  } catch (err) {
    // better-sqlite3 loads its addon on first use: a failed node-gyp build surfaces here.
    throw new Unavailable(`better-sqlite3 is installed but cannot open a database: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO events (seq, body) VALUES (?, ?)');
    let seq = 0;
    const txn = db.transaction((n: number) => {
      for (let j = 0; j < n; j++, seq++) insert.run(seq, JSON.stringify(event(seq)));
    });
    const step = perTxn === 1 ? (): void => void insert.run(seq, JSON.stringify(event(seq++))) : (): void => txn(perTxn);
    // Synchronous, so a loop that never yields; each step is one commit.
    const phase = (seconds: number, lat: Latency | null): number => {
      const end = now() + seconds * 1000;
      let commits = 0;
      let t = now();
      while (t < end) {
        step();
        const t1 = now();
        lat?.recordMs(t1 - t);
        t = t1;
        commits += 1;
      }
      return commits * perTxn;
    };
    phase(ctx.warmS, null);
    const lat = new Latency();
    const cpu = new ThreadCpu();
    const t0 = now();
    const events = phase(ctx.measureS, lat);
    const ms = now() - t0;
    return throughput(ctx.id, events, ms, {
      ack: lat.summary(perTxn === 1 ? 'event' : `txn of ${perTxn}`),
      cpuUsPerEvent: round((cpu.elapsedMs() * 1000) / events, 2),
      cpuOn: `main (${cpu.how}; the commit blocks it)`,
      detail: perTxn === 1 ? 'ack = return of run()' : 'ack = return of the transaction',
    });
  } finally {
    db.close();
  }
}

export const sqliteOne = (ctx: CaseContext): Promise<CaseResult> => sqlite(ctx, 1);
export const sqliteThousand = (ctx: CaseContext): Promise<CaseResult> => sqlite(ctx, 1000);

interface LmdbPut extends Promise<boolean> {
  flushed?: Promise<unknown>;
}
interface LmdbDb {
  put(key: number, value: unknown): LmdbPut;
  close(): Promise<void>;
}
interface Lmdb {
  open(opts: { path: string; separateFlushed: boolean; compression: boolean }): LmdbDb;
}

/** lmdb-js: windows of 1000 put()s, 4 windows in flight, each event acked by its put().flushed. */
export async function lmdbFlushed(ctx: CaseContext): Promise<CaseResult> {
  const lmdb = await importPeer<Lmdb>('lmdb');
  let db: LmdbDb;
  try {
    db = lmdb.open({ path: join(ctx.dir, 'events.lmdb'), separateFlushed: true, compression: false });
  } catch (err) {
    throw new Unavailable(`lmdb is installed but cannot open a database: ${(err as Error).message.split('\n')[0]}`);
  }
  let seq = 0;
  const WINDOW = 1000;
  const DEPTH = 4;
  try {
    const phase = async (seconds: number, lat: Latency | null): Promise<number> => {
      const end = now() + seconds * 1000;
      const inflight: Array<Promise<unknown>> = [];
      let events = 0;
      while (now() < end) {
        const acks: Array<Promise<unknown>> = new Array(WINDOW);
        for (let j = 0; j < WINDOW; j++) {
          const p = db.put(seq, event(seq));
          const flushed = p.flushed;
          if (!flushed) throw new Error('lmdb put() has no .flushed promise: separateFlushed not honoured by this lmdb version');
          if (lat && (seq & 15) === 0) {
            const t = now();
            void flushed.then(() => lat.recordMs(now() - t));
          }
          acks[j] = flushed;
          seq++;
        }
        events += WINDOW;
        inflight.push(Promise.all(acks));
        if (inflight.length >= DEPTH) await inflight.shift();
      }
      await Promise.all(inflight);
      return events;
    };
    const { events, ms, lat, cpuMs, cpuHow } = await warmThenMeasure(ctx, phase);
    return throughput(ctx.id, events, ms, {
      ack: lat.summary('event (1/16 sampled)'),
      cpuUsPerEvent: round((cpuMs * 1000) / events, 2),
      cpuOn: `main (${cpuHow})`,
      detail: `${DEPTH}×${WINDOW} puts in flight, ack = put().flushed`,
    });
  } finally {
    await db.close();
  }
}
