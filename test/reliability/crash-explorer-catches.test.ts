// The crash-state explorer must catch a real mistake (issue 22, item 1): with one fsync
// removed from the writer (THREADWAL_TEST_DROP_FSYNC, packages/core/src/util/test-switches.ts,
// test-only), the same exploration that passes on the real code finds states where an
// acknowledged event is lost. Every distinct state of a small run is checked, so the
// result does not depend on sampling.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runExplorer } from './explorer/suite.js';

for (const [drop, workload, what] of [
  ['ack', 'new-wal', 'the fdatasync before an ack'],
  ['rotate-dir', 'auto-rotate', 'the directory fsync after a rotation'],
] as const) {
  test(`the explorer fails when ${what} is dropped (THREADWAL_TEST_DROP_FSYNC=${drop})`, async () => {
    const r = await runExplorer(workload, { n: [30, 60], states: [100_000, 100_000] }, { THREADWAL_TEST_DROP_FSYNC: drop }, `${workload} without ${drop}`);
    if (!r) return;
    assert.is(r.checked, r.distinct, 'every distinct state was checked');
    assert.ok(r.unknownFailedStates > 0, `no state broke an invariant with ${what} dropped`);
    assert.ok(r.classes.some((c) => c.cls === 'acked-lost' && !c.known), `no acknowledged event was lost: ${r.classes.map((c) => c.cls).join(', ')}`);
  });
}

test.run();
