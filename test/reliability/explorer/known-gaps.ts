// Failures the explorer finds today that another item of issue 22 fixes (branch `recovery`,
// item 2: recovery after a power cut). They are reported, counted and printed as KNOWN, and
// tolerated only in this exact shape: the failure is one of the symptoms of a zero-filled
// torn tail that recovery does not cut, and the state's active file holds NUL bytes (the
// filesystem's mark of blocks that never reached the disk; a WAL line never holds a raw
// NUL). An acked event lost or changed, a seq handed out twice, an event read twice or a
// cursor moved back is never tolerated.
//
//   - A fresh active file whose first batch was torn (zeros, then the end of a line) makes
//     openWal refuse: ECORRUPT "is not a threadwal WAL" (issue 22, first bullet).
//   - A hole (zeros) followed by intact lines of an unacknowledged batch is not cut: the
//     next seq leaves a gap, readWal throws ECORRUPT and verify fails (second bullet).
//
// Both were fixed by the torn-tail rule (docs/DESIGN.md, Recovery), so the list is empty.
import type { Entry } from './crash-states.js';

// Empty since recovery's torn-tail rule (issue 22 item 2) landed: every state must pass. The
// mechanism stays for a gap found later and fixed elsewhere: list its class here with a
// comment naming the issue, never an acked-data invariant.
export const KNOWN_CLASSES: ReadonlySet<string> = new Set<string>([]);

/** Whether a failure of class `cls` in the state `entries` is one of the known, tolerated shapes. */
export function isKnown(cls: string, entries: readonly Entry[]): boolean {
  const base = cls.startsWith('openWal:') ? cls.slice('openWal:'.length) : cls;
  if (!KNOWN_CLASSES.has(base)) return false;
  const active = entries.find((e) => e.path === 'wal');
  return active?.data?.includes(0) === true;
}
