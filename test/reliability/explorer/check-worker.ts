// Crash-state explorer: the worker thread that materializes and checks states, one at a
// time, in the order they arrive (explore.ts posts them). It loads the writer's lock
// module, which must stay off a test's main thread (DESIGN.md).
import { parentPort, workerData } from 'node:worker_threads';
import { join } from 'node:path';
import { closePool } from '@threadwal/maintenance';
import { materialize, removeState } from './materialize.js';
import { checkState, type CheckResult } from './checker.js';
import type { Entry } from './crash-states.js';
import type { Expectation } from './expect.js';

export interface CheckRequest {
  type: 'check';
  id: number;
  entries: Entry[];
  exp: Expectation;
  /** Also open a copy through the public openWal, which must agree. */
  viaOpenWal: boolean;
}
export type CheckReply = { type: 'result'; id: number; result: CheckResult } | { type: 'ended' };

const base = (workerData as { base: string }).base;
const port = parentPort!;
let chain = Promise.resolve();

async function one(req: CheckRequest): Promise<CheckResult> {
  const dir = join(base, `s${req.id}`);
  materialize(dir, req.entries);
  try {
    const result = await checkState(join(dir, 'wal'), req.exp, false);
    if (!req.viaOpenWal) return result;
    const copy = join(base, `o${req.id}`);
    materialize(copy, req.entries);
    try {
      const other = await checkState(join(copy, 'wal'), req.exp, true);
      for (const f of other.failures) result.failures.push({ cls: `openWal:${f.cls}`, detail: f.detail });
      if (other.appended !== result.appended) result.failures.push({ cls: 'paths-disagree', detail: `Writer.open appended at ${result.appended}, openWal at ${other.appended}` });
    } finally {
      removeState(copy);
    }
    return result;
  } finally {
    removeState(dir);
  }
}

port.on('message', (m: CheckRequest | { type: 'end' }) => {
  chain = chain.then(async () => {
    if (m.type === 'end') {
      await closePool();
      port.postMessage({ type: 'ended' } satisfies CheckReply);
      port.close();
      return;
    }
    let result: CheckResult;
    try {
      result = await one(m);
    } catch (err) {
      result = { failures: [{ cls: 'checker-error', detail: String((err as Error)?.stack ?? err) }], appended: null };
    }
    port.postMessage({ type: 'result', id: m.id, result } satisfies CheckReply);
  });
});
