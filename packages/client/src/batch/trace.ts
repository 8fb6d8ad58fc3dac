// The client's half of the latency trace (THREADWAL_TRACE=1; see core's trace.ts): turns the
// writer's stamps on an ack and this thread's own post time into the per-batch breakdown.
import { performance } from 'node:perf_hooks';
import { TRACE, absNow, threadTrace, T_RECV, T_CYCLE, T_LOCKED, T_WRITTEN, T_SYNCED, T_ACKED, T_FREE } from '@threadwal/core';

if (TRACE) threadTrace.probeThread('producer');

/** A batch posted at `postedAt` (this thread's performance.now()) was acked with stamps `t`. */
export function traceAck(postedAt: number, t: number[]): void {
  const now = absNow();
  threadTrace.lastAckAt = now;
  const post = performance.timeOrigin + postedAt;
  // Posted while the writer was still in its previous cycle: that wait is queueing, not wake-up.
  const free = t[T_FREE]!;
  if (free > post) threadTrace.record('1a waited for the writer\'s previous cycle', free - post);
  threadTrace.record('1b producer → writer wake-up', t[T_RECV]! - Math.max(post, free));
  threadTrace.record('2 queued in writer (setImmediate, earlier cycle)', t[T_CYCLE]! - t[T_RECV]!);
  threadTrace.record('3 lock + revalidate', t[T_LOCKED]! - t[T_CYCLE]!);
  threadTrace.record('4 frame + write', t[T_WRITTEN]! - t[T_LOCKED]!);
  threadTrace.record('5 fdatasync', t[T_SYNCED]! - t[T_WRITTEN]!);
  threadTrace.record('6 acks posted', t[T_ACKED]! - t[T_SYNCED]!);
  threadTrace.record('7 writer → producer wake-up', now - t[T_ACKED]!);
  threadTrace.record('post → ack handled (batch)', now - post);
}

export { TRACE };
