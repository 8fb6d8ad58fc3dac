// Crash-state explorer: the events every workload appends, made from their job_id alone, so
// the checker knows the exact content an acknowledged seq must hold. Sizes vary from a few
// dozen bytes to ~900 so that batches end on, straddle and cross 512-byte sectors and
// 4 KiB pages. `ts` grows with the number in the id (cleanup's age cutoffs rely on it).
import type { WalEvent } from '@threadwal/core';

/** The base of every event's ts (Unix seconds). */
export const TS0 = 1_700_000_000;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** `<tag>-<n>` → the event appended under that id. */
export function eventFor(jobId: string): WalEvent {
  const n = Number(/-(\d+)$/.exec(jobId)?.[1] ?? 0);
  const h = hash(jobId);
  const pad = 10 + (h % 7 === 0 ? 700 + (h % 150) : h % 420);
  return { type: 'job_started', job_id: jobId, ts: TS0 + n, output: { n, pad: 'x'.repeat(pad) } };
}
