// The writer hosts of this thread: one per real path (what openWriter shares), and those
// whose writer thread may hold a lock (what the exit hook releases). Module state of its own
// so that writer.ts (opening) and writer-host.ts (a host's life) share it without a cycle.
import type { WriterHost } from './writer-host.js';

/** The host of each real path of this thread. */
export const hosts = new Map<string, WriterHost>();
/** Hosts of this thread whose writer thread may hold a lock. */
export const live = new Set<WriterHost>();

/**
 * At exit (after the clients' flushSync): removes the locks this thread's
 * writer threads hold, which would otherwise outlive the process and make the next opener
 * wait lockStaleMs. Called by the client's exit hook; see lock-board.ts.
 */
export function releaseWriterLocksAtExit(): void {
  for (const host of live) host.releaseLockAtExit();
}

/**
 * For events appended by an 'exit' listener after releaseWriterLocksAtExit ran: lets this
 * thread's writer threads lock again. Call flushSync and releaseWriterLocksAtExit after.
 */
export function rearmWriterLocksAtExit(): void {
  for (const host of live) host.rearmLockAtExit();
}
