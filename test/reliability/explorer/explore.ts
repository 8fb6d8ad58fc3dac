// Crash-state explorer: one workload from trace to verdict. Runs the workload under strace,
// turns the trace into operations, builds every state the model allows at every cut,
// dedupes them by content, samples `budget` of them (seeded), and checks each in a worker
// thread. Failures are grouped by class, each with its first example.
import { Worker } from 'node:worker_threads';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { traceNode } from './strace-run.js';
import { traceToOps } from './fs-ops.js';
import { StateSpace, recipesAt, rng, describeRecipe, type Recipe, type Entry } from './crash-states.js';
import { Markers } from './expect.js';
import { statesRoot, removeState } from './materialize.js';
import type { CheckRequest, CheckReply } from './check-worker.js';
import { isKnown } from './known-gaps.js';

export interface ExploreOptions {
  /** Workload events (its own scale). */
  n: number;
  /** Most states checked (a seeded sample when more are distinct). */
  budget: number;
  seed: number;
  /** Random mixes per cut, beyond the systematic ones. */
  randomPerCut: number;
  /** Most hole variants per file per cut (a seeded sample beyond). */
  maxHoles: number;
  /** Every k-th checked state is also opened through the public openWal. */
  openWalEvery: number;
  /** Extra environment of the traced workload (e.g. THREADWAL_TEST_DROP_FSYNC). */
  env?: NodeJS.ProcessEnv;
}

export interface FailureClass {
  cls: string;
  /** States that failed this way. */
  count: number;
  /** Tolerated for now (known-gaps.ts): a shape another item of issue 22 fixes. */
  known: boolean;
  example: string;
}

export interface ExploreResult {
  workload: string;
  ops: number;
  cuts: number;
  acks: number;
  /** Overlapping calls applied in the order their results require (call-order.ts). */
  reordered: number;
  distinct: number;
  checked: number;
  viaOpenWal: number;
  failedStates: number;
  /** States with a failure that is not a known gap. */
  unknownFailedStates: number;
  classes: FailureClass[];
}

const WORKLOAD = fileURLToPath(new URL('./workloads/run.js', import.meta.url));
const IN_FLIGHT = 3;

function summary(entries: readonly Entry[]): string {
  return entries.map((e) => (e.dir ? `${e.path}/` : `${e.path}(${e.data!.length}B${e.data!.includes(0) ? ',NUL' : ''})`)).join(' ');
}

export async function explore(workload: string, o: ExploreOptions): Promise<ExploreResult> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'threadwal-explore-')));
  let trace;
  try {
    trace = await traceNode(WORKLOAD, [workload, join(root, 'wal'), String(o.n)], o.env);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const t = traceToOps(trace.calls, root);
  const markers = new Markers(t.ops);
  if (markers.acks === 0) throw new Error(`workload ${workload} acked nothing: no marker reached the trace`);
  const space = new StateSpace(t);
  const rand = rng(o.seed);
  const states = new Map<string, { recipe: Recipe; cuts: number[] }>();
  for (let cut = 0; cut <= t.ops.length; cut++) {
    for (const r of recipesAt(space, cut, o.randomPerCut, o.maxHoles, rand)) {
      const h = space.key(r);
      const s = states.get(h);
      if (!s) states.set(h, { recipe: r, cuts: [cut] });
      else if (s.cuts[s.cuts.length - 1] !== cut) s.cuts.push(cut);
    }
  }
  const keys = [...states.keys()];
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const chosen = keys.slice(0, o.budget);

  const base = statesRoot();
  const worker = new Worker(new URL('./check-worker.js', import.meta.url), { workerData: { base } });
  const classes = new Map<string, FailureClass>();
  let failedStates = 0;
  let unknownFailedStates = 0;
  let viaOpenWal = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let done = 0;
      const post = (): void => {
        if (next >= chosen.length) return;
        const id = next++;
        const s = states.get(chosen[id]!)!;
        const via = o.openWalEvery > 0 && id % o.openWalEvery === 0;
        if (via) viaOpenWal += 1;
        const req: CheckRequest = { type: 'check', id, entries: space.build(s.recipe), exp: markers.at(s.cuts), viaOpenWal: via };
        worker.postMessage(req);
      };
      worker.on('error', reject);
      worker.on('exit', (c) => reject(new Error(`check worker exited ${c}`)));
      worker.on('message', (m: CheckReply) => {
        if (m.type !== 'result') return;
        done += 1;
        if (m.result.failures.length) {
          failedStates += 1;
          const s = states.get(chosen[m.id]!)!;
          const entries = space.build(s.recipe);
          let unknown = false;
          const seen = new Set<string>();
          for (const f of m.result.failures) {
            if (seen.has(f.cls)) continue; // a class counts once per state
            seen.add(f.cls);
            const known = isKnown(f.cls, entries);
            if (!known) unknown = true;
            const key = `${f.cls}${known ? '' : ' (unknown)'}`;
            const c = classes.get(key);
            if (c) c.count += 1;
            else {
              const cuts = s.cuts.length > 1 ? ` (the same bytes from ${s.cuts.length} cuts, ops ${s.cuts[0]! - 1}..${s.cuts[s.cuts.length - 1]! - 1})` : '';
              classes.set(key, { cls: f.cls, count: 1, known, example: `${f.detail} | state: ${describeRecipe(space, s.recipe)}${cuts} | files: ${summary(entries)}` });
            }
          }
          if (unknown) unknownFailedStates += 1;
        }
        if (done === chosen.length) resolve();
        else post();
      });
      if (chosen.length === 0) resolve();
      for (let i = 0; i < IN_FLIGHT; i++) post();
    });
    await new Promise<void>((resolve) => {
      worker.removeAllListeners('exit');
      worker.on('message', (m: CheckReply) => { if (m.type === 'ended') resolve(); });
      worker.on('exit', () => resolve());
      worker.postMessage({ type: 'end' });
    });
  } finally {
    await worker.terminate();
    removeState(base);
  }
  return {
    workload, ops: t.ops.length, cuts: t.ops.length + 1, acks: markers.acks, reordered: t.reordered, distinct: states.size,
    checked: chosen.length, viaOpenWal, failedStates, unknownFailedStates, classes: [...classes.values()].sort((a, b) => b.count - a.count),
  };
}
