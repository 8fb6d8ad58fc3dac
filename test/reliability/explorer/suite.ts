// Crash-state explorer: one uvu test per workload, at CI size in `pnpm test` and at full
// size under THREADWAL_FULL=1 (`pnpm test:reliability`). Prints one line per workload,
// `[reliability] explorer <workload>: states=N failures=M …`, and one per failure class.
// Skipped (and still passing, saying why) only when strace cannot run here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { size, report, runSeed } from '../helpers.js';
import { straceStatus } from './strace-run.js';
import { explore, type ExploreResult } from './explore.js';

export interface Plan {
  /** Workload events at CI size and at full size. */
  n: [number, number];
  /** States checked at CI size and at full size (at least this many must be distinct). */
  states: [number, number];
}

/** Runs one workload's exploration; undefined (after saying why) when strace cannot run. */
export async function runExplorer(workload: string, plan: Plan, env?: NodeJS.ProcessEnv, label = workload): Promise<ExploreResult | undefined> {
  const st = straceStatus();
  if (!st.ok) {
    console.log(`[reliability] explorer ${label}: skipped: ${st.why}`);
    return undefined;
  }
  const seed = runSeed(`explorer ${label}`);
  const r = await explore(workload, {
    n: size(...plan.n), budget: size(...plan.states), seed,
    randomPerCut: size(2, 6), maxHoles: size(80, 400), openWalEvery: size(20, 100), env,
  });
  report(`explorer ${label}`, {
    states: r.checked, failures: r.failedStates, unknown: r.unknownFailedStates, distinct: r.distinct,
    ops: r.ops, acks: r.acks, openWal: r.viaOpenWal, reordered: r.reordered,
  });
  for (const c of r.classes) {
    console.log(`[reliability] explorer ${label}: ${c.known ? 'KNOWN' : 'FAILED'} ${c.cls} states=${c.count} e.g. ${c.example.slice(0, 600)}`);
  }
  return r;
}

/** Registers the test of one workload: enough distinct states, and none failing beyond the known gaps (known-gaps.ts). */
export function explorerTest(workload: string, what: string, plan: Plan): void {
  test(`crash-state explorer, ${workload}: ${what}`, async () => {
    const r = await runExplorer(workload, plan);
    if (!r) return;
    const want = size(...plan.states);
    assert.ok(r.checked >= want, `only ${r.checked} distinct states (${r.distinct} found), ${want} wanted: enlarge the workload`);
    assert.is(r.unknownFailedStates, 0, `${r.unknownFailedStates} states break an invariant: ${r.classes.filter((c) => !c.known).map((c) => `${c.cls} (${c.count}): ${c.example}`).join('\n')}`);
  });
  test.run();
}
