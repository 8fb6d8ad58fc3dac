// Workloads: a new WAL's first appends; two processes appending with lock hand-offs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openWal } from '@threadwal/client';
import { ack, appendSome } from './markers.js';

/** A new WAL: its first batch is one event, the next ones bigger (appendSome). */
export async function newWal(path: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false });
  await appendSome(wal, 'n', 0, n);
  await wal.close();
}

/** One of two appender processes: opens, says `ready` (stderr), waits for `go` on stdin, then appends its events one at a time and every third as a pair. */
export async function appender(path: string, tag: string, n: number): Promise<void> {
  const wal = await openWal(path, { reportRecovery: false });
  process.stderr.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.destroy();
  for (let i = 0; i < n; i++) {
    if (i % 3 === 2 && i + 1 < n) {
      await Promise.all([ack(wal, `${tag}-${i}`), ack(wal, `${tag}-${i + 1}`)]);
      i++;
    } else await ack(wal, `${tag}-${i}`);
  }
  await wal.close();
}

/** Two processes appending to one WAL at once (both open before either appends): the lock changes hands between their batches. */
export async function twoProcesses(path: string, n: number): Promise<void> {
  const script = fileURLToPath(new URL('./run.js', import.meta.url));
  const children = ['a', 'b'].map((tag) => spawn(process.execPath, [script, 'appender', path, String(n), tag], { stdio: ['pipe', 'inherit', 'pipe'] }));
  const done = children.map((child, k) => new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`appender ${k} exited ${code}: ${err}`))));
  }));
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    let seen = '';
    const on = (d: Buffer): void => {
      seen += d.toString();
      if (seen.includes('ready\n')) {
        child.stderr!.off('data', on);
        resolve();
      }
    };
    child.stderr!.on('data', on);
  })));
  for (const child of children) child.stdin!.end('go\n');
  await Promise.all(done);
}
