// The cases, in table order, and where each one's code lives. Case 1 (`naive`) is the
// baseline every ratio is taken against. Shared by the orchestrator and the case runner;
// it imports no case code, so the orchestrator never loads a peer package itself.

export interface CaseSpec {
  id: string;
  /** The issue's case number (1–7; 8 and 9 are issue 21's real server and job runner). */
  group: number;
  title: string;
  /** Module under cases/ and the exported function that runs the case. */
  module: string;
  fn: string;
  /** Time limit of a full run, when the default (60 s; 180 s for group 7) is too short. */
  timeoutS?: number;
}

export const CASES: readonly CaseSpec[] = [
  { id: 'naive', group: 1, title: 'seed port: lockSync+write+fsync+unlock per event', module: 'baseline', fn: 'naive' },
  { id: 'fsp-1', group: 2, title: 'fs.promises write+datasync, 1 appender', module: 'fs-promises', fn: 'one' },
  { id: 'fsp-64', group: 2, title: 'fs.promises write+datasync, 64 appenders, 1 handle', module: 'fs-promises', fn: 'many' },
  { id: 'sonic-sync', group: 3, title: 'sonic-boom sync, fsync:true (fsyncSync per write)', module: 'loggers', fn: 'sonicSync' },
  { id: 'sonic-async', group: 3, title: 'sonic-boom async, fsync:true, 1000 writes + flush', module: 'loggers', fn: 'sonicAsync' },
  { id: 'pino', group: 3, title: 'pino → worker transport to file (NOT durable)', module: 'loggers', fn: 'pinoTransport' },
  { id: 'pino-dest', group: 3, title: 'pino → pino.destination() (NOT durable)', module: 'pino', fn: 'pinoDestinationAsync' },
  { id: 'pino-dest-fsync', group: 3, title: 'pino → pino.destination({ sync, fsync: true })', module: 'pino', fn: 'pinoDestinationFsync' },
  { id: 'pino-tw', group: 3, title: 'pino → threadwal pinoDestination', module: 'pino', fn: 'pinoThreadwal' },
  { id: 'pino-tw-transport', group: 3, title: 'pino → threadwal pino-transport target', module: 'pino', fn: 'pinoThreadwalTransport' },
  { id: 'sqlite-1', group: 4, title: 'better-sqlite3 WAL sync=FULL, 1 insert/txn', module: 'stores', fn: 'sqliteOne' },
  { id: 'sqlite-1000', group: 4, title: 'better-sqlite3 WAL sync=FULL, 1000 inserts/txn', module: 'stores', fn: 'sqliteThousand' },
  { id: 'lmdb', group: 4, title: 'lmdb-js put().flushed, batched async commits', module: 'stores', fn: 'lmdbFlushed' },
  { id: 'tw-window', group: 5, title: 'threadwal 1 producer: 1000 append, await all', module: 'threadwal', fn: 'window' },
  { id: 'tw-pipe', group: 5, title: 'threadwal 1 producer: 4 windows of 1000 in flight', module: 'threadwal', fn: 'pipelined' },
  { id: 'tw-nowait', group: 5, title: 'threadwal 1 producer: appendNoWait + flush', module: 'threadwal', fn: 'noWait' },
  { id: 'tw-threads4', group: 5, title: 'threadwal 4 producer threads (port → connectWal)', module: 'threadwal', fn: 'threads4' },
  { id: 'tw-procs4', group: 5, title: 'threadwal 4 processes, 1 path, lock per batch', module: 'threadwal', fn: 'processes4' },
  { id: 'tw-exclusive', group: 5, title: "threadwal 1 process, lock: 'exclusive', pipelined", module: 'threadwal', fn: 'exclusive' },
  { id: 'raw-fdatasync', group: 6, title: 'raw write+fdatasync, one at a time', module: 'baseline', fn: 'rawFdatasync' },
  { id: 'paced-1k', group: 6, title: 'threadwal paced, 1k events/s offered', module: 'paced', fn: 'paced1k' },
  { id: 'paced-10k', group: 6, title: 'threadwal paced, 10k events/s offered', module: 'paced', fn: 'paced10k' },
  { id: 'paced-100k', group: 6, title: 'threadwal paced, 100k events/s offered', module: 'paced', fn: 'paced100k' },
  { id: 'floor-1k', group: 6, title: 'floor: bare thread hop (write+fdatasync, ack), 1k/s', module: 'floor', fn: 'floor1k' },
  { id: 'floor-10k', group: 6, title: 'floor: bare thread hop (write+fdatasync, ack), 10k/s', module: 'floor', fn: 'floor10k' },
  { id: 'floor-100k', group: 6, title: 'floor: bare thread hop (write+fdatasync, ack), 100k/s', module: 'floor', fn: 'floor100k' },
  { id: 'paced-4x10k', group: 6, title: 'stress: 4 producer threads, 10k events/s each', module: 'paced', fn: 'pacedThreads4' },
  { id: 'big-gen', group: 7, title: 'make the big WAL (direct writes, 1 fdatasync)', module: 'big-file', fn: 'generate' },
  { id: 'big-open', group: 7, title: 'openWal of the big WAL (torn tail recovered)', module: 'big-file', fn: 'open' },
  { id: 'big-verify', group: 7, title: '@threadwal/maintenance verify(path)', module: 'big-file', fn: 'verify' },
  { id: 'big-cleanup', group: 7, title: '@threadwal/maintenance cleanup(path, 1 day)', module: 'big-file', fn: 'cleanup' },
  { id: 'paced-cleanup', group: 7, title: 'stress: threadwal paced 10k/s during a cleanup of a 1 GiB WAL', module: 'big-file', fn: 'pacedDuringCleanup' },
  { id: 'fastify-pinned', group: 8, title: 'real server: Fastify 5 + pino, 6 destinations, server on 1 core', module: 'fastify', fn: 'fastifyPinned', timeoutS: 420 },
  { id: 'fastify-unpinned', group: 8, title: 'real server: Fastify 5 + pino, 6 destinations, unpinned', module: 'fastify', fn: 'fastifyUnpinned', timeoutS: 420 },
  { id: 'jobs-piscina', group: 9, title: 'job runner: piscina 4×16, 64 jobs in flight, 2 durable events/job', module: 'jobs', fn: 'jobsPiscina', timeoutS: 420 },
];

export const BASELINE_ID = 'naive';

/** Size of the big WAL of case 7. */
export const BIG_FILE_BYTES = { full: 1024 ** 3, quick: 64 * 1024 ** 2 } as const;

/**
 * Resolves `--cases` tokens to case ids, in catalog order: an id (`tw-pipe`), a group number
 * (`5`), a prefix glob (`tw-*`), or `threadwal` (every case that runs threadwal's own code).
 * Returns the ids and the tokens that matched nothing.
 */
export function selectCases(tokens: readonly string[]): { ids: string[]; unknown: string[] } {
  const unknown: string[] = [];
  const picked = new Set<string>();
  for (const token of tokens) {
    const hits = CASES.filter((c) =>
      c.id === token ||
      String(c.group) === token ||
      (token.endsWith('*') && c.id.startsWith(token.slice(0, -1))) ||
      (token === 'threadwal' && (c.title.startsWith('threadwal') || c.id === 'big-open')));
    if (hits.length === 0) unknown.push(token);
    for (const c of hits) picked.add(c.id);
  }
  // The big-file cases work on the file big-gen makes in the same run.
  // (paced-cleanup makes its own copy.)
  if (CASES.some((c) => c.group === 7 && c.id !== 'paced-cleanup' && picked.has(c.id))) picked.add('big-gen');
  return { ids: CASES.filter((c) => picked.has(c.id)).map((c) => c.id), unknown };
}
