// Crash-state explorer: writes one state into a fresh directory. Content is replayed from
// the trace, never copied from the workload's files; hard links are made as links. The lock
// `{path}.lock` (a directory, or a file) gets an old mtime: after a power cut the machine
// reboots, which takes longer than lockStaleMs, so a lock a crashed writer left is stale
// when the application starts again.
import { mkdirSync, writeFileSync, utimesSync, existsSync, mkdtempSync, rmSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry } from './crash-states.js';

/** Seconds since the epoch given to the lock: long stale. */
const REBOOTED_LONG_AGO = 1_000_000;

export function materialize(dir: string, entries: readonly Entry[]): void {
  mkdirSync(dir, { recursive: true });
  for (const e of entries) {
    const p = join(dir, e.path);
    if (e.dir) mkdirSync(p);
    else if (e.link !== undefined) linkSync(join(dir, e.link), p);
    else writeFileSync(p, e.data ?? Buffer.alloc(0));
  }
  for (const e of entries) if (e.path.endsWith('.lock')) utimesSync(join(dir, e.path), REBOOTED_LONG_AGO, REBOOTED_LONG_AGO);
}

/**
 * Where states are written: tmpfs (/dev/shm) when there is one, since a state is written,
 * opened and deleted in milliseconds and its fsyncs (the checker's own) need not reach a
 * disk; else the temp dir. The caller removes it.
 */
export function statesRoot(): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  try {
    return mkdtempSync(join(base, 'threadwal-explorer-'));
  } catch {
    return mkdtempSync(join(tmpdir(), 'threadwal-explorer-'));
  }
}

export function removeState(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
