// The piscina task of the job-runner group (jobs-run.ts starts the pool): a job awaits a
// durable `job_started`, does ~0.2 ms of CPU work, awaits a durable `job_completed`. The
// variant (in workerData) says where the two events go; everything a store needs per thread
// (a client, a database handle, an fd) is opened on the thread's first job and kept.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { threadId, workerData, type MessagePort } from 'node:worker_threads';
import { importPeer } from '../lib/workload.js';
import { ownTid } from '../lib/proc.js';
import { work, type JobTask, type JobVariant } from './jobs-shared.js';

interface JobEvent {
  type: string;
  job_id: string;
  capability: string;
  output?: unknown;
}
interface Wal {
  append(e: JobEvent): Promise<number>;
  close(): Promise<void>;
}
interface Client {
  connectWal(port: MessagePort): Promise<Wal>;
  /** The per-thread client (issue 21); absent in builds before it. */
  walForThread?(path: string): Promise<Wal>;
}

let client: Client | null = null;
const loadClient = async (): Promise<Client> => (client ??= await importPeer<Client>('@threadwal/client'));

const { variant, path, iters, tids } = workerData as { variant: JobVariant; path: string; iters: number; tids: SharedArrayBuffer };
// This pool thread's kernel id, for jobs-run.ts's CPU split by thread (slot 0 counts the slots taken).
{
  const cells = new Int32Array(tids);
  const slot = Atomics.add(cells, 0, 1) + 1;
  if (slot < cells.length) Atomics.store(cells, slot, ownTid() ?? 0);
}

const startedOf = (i: number): JobEvent => ({ type: 'job_started', job_id: `job-${i}`, capability: 'ShellExec' });
const completedOf = (i: number, x: number): JobEvent => ({
  type: 'job_completed', job_id: `job-${i}`, capability: 'ShellExec',
  output: { exit_code: 0, path: `/srv/out/${i}.csv`, digest: `sha256:${x.toString(16).padStart(8, '0')}` },
});

// ---- threadwal, one client per worker thread kept across tasks -------------------------
// The one line a task needs: walForThread(path) (jobs-run.ts serves the pool with
// wal.serveThreads(pool)). A build without it (a before/after comparison) takes a 'connect'
// task per thread carrying a port from wal.port() instead (connectThreads in jobs-run.ts).
let threadWal: Wal | null = null;
async function threadClient(): Promise<Wal> {
  const c = await loadClient();
  if (c.walForThread) return c.walForThread(path);
  if (threadWal === null) throw new Error(`thread ${threadId} ran a job before its 'connect' task`);
  return threadWal;
}

// ---- per-thread handles of the other stores, opened lazily -----------------------------
interface LmdbDb {
  put(key: string, value: unknown): Promise<boolean> & { flushed?: Promise<unknown> };
}
let lmdb: LmdbDb | null = null;
async function lmdbDb(): Promise<LmdbDb> {
  if (lmdb) return lmdb;
  const { open } = await importPeer<{ open(o: object): LmdbDb }>('lmdb');
  lmdb = open({ path, separateFlushed: true, compression: false });
  return lmdb;
}

interface Sqlite {
  pragma(s: string): unknown;
  prepare(s: string): { run(...a: unknown[]): unknown };
}
let sqliteInsert: { run(...a: unknown[]): unknown } | null = null;
async function sqlite(): Promise<{ run(...a: unknown[]): unknown }> {
  if (sqliteInsert) return sqliteInsert;
  const Database = (await importPeer<{ default: new (p: string) => Sqlite }>('better-sqlite3')).default;
  const db = new Database(path);
  db.pragma('synchronous = FULL'); // per connection; journal_mode = WAL was set by jobs-run.ts
  db.pragma('busy_timeout = 10000'); // four threads' connections take turns at the write lock
  sqliteInsert = db.prepare('INSERT INTO events (body) VALUES (?)');
  return sqliteInsert;
}

// The seed's design: lock, write the line, fsync, unlock, per event, on the calling thread.
// proper-lockfile's lockSync (as case 1 uses) does not wait, so a busy lock is retried
// after 0.1 ms: the seed's blocking exclusive lock, as a thread in Node can have it.
let seed: { fd: number; lockSync(p: string, o: object): () => void; seq: number } | null = null;
const napCell = new Int32Array(new SharedArrayBuffer(4));
async function seedAppend(e: JobEvent): Promise<void> {
  if (!seed) {
    const lockfile = (await importPeer<{ default: { lockSync(p: string, o: object): () => void } }>('proper-lockfile')).default;
    seed = { fd: openSync(path, 'a'), lockSync: lockfile.lockSync, seq: 0 };
  }
  const s = seed;
  let release: () => void;
  for (;;) {
    try {
      release = s.lockSync(path, { realpath: false });
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ELOCKED') throw err;
      Atomics.wait(napCell, 0, 0, 0.1);
    }
  }
  try {
    writeSync(s.fd, `${JSON.stringify({ seq: s.seq++, ts: Math.floor(Date.now() / 1000), ...e })}\n`);
    fsyncSync(s.fd);
  } finally {
    release();
  }
}
process.once('exit', () => {
  if (seed) closeSync(seed.fd);
});

/** Writes `e` durably the variant's way; resolves once it is. */
async function durable(e: JobEvent, wal: Wal | null): Promise<void> {
  switch (variant) {
    case 'tw-port':
    case 'tw-thread':
      await wal!.append(e);
      return;
    case 'lmdb': {
      const p = (await lmdbDb()).put(`${e.job_id}:${e.type}`, e);
      await p.flushed;
      return;
    }
    case 'sqlite':
      (await sqlite()).run(JSON.stringify(e));
      return;
    case 'seed':
      await seedAppend(e);
      return;
    case 'none':
      return;
  }
}

export default async function job(task: JobTask): Promise<number | null> {
  if (task.kind === 'connect') {
    if (threadWal !== null) {
      task.port.close(); // this thread has its client: the spare port's hold on the writer is dropped
      return null;
    }
    threadWal = await (await loadClient()).connectWal(task.port);
    return threadId;
  }
  const i = task.i;
  // The README's pattern today: one port per task, connected and closed inside it.
  const perTask = variant === 'tw-port' ? await (await loadClient()).connectWal(task.port!) : null;
  try {
    const wal = perTask ?? (variant === 'tw-thread' ? await threadClient() : null);
    if (variant !== 'none') await durable(startedOf(i), wal);
    const x = work(iters);
    if (variant !== 'none') await durable(completedOf(i, x), wal);
    return x;
  } finally {
    if (perTask) await perTask.close();
  }
}
