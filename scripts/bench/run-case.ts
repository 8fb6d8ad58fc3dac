// Entry of one case process: `node run-case.js <case-id> --shared DIR [--quick]`, forked by
// index.ts with an IPC channel. Each case runs in a fresh process so that JIT state, heap,
// open writer threads and leftover fds of one case never colour the next. The result goes
// back as one IPC message; the process then exits on its own terms.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES } from './catalog.js';
import { Unavailable, type CaseContext, type CaseFn } from './lib/workload.js';
import type { CaseResult } from './lib/measure.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: 'boolean', default: false }, shared: { type: 'string' } },
});

async function main(): Promise<CaseResult> {
  const id = positionals[0] ?? '';
  const spec = CASES.find((c) => c.id === id);
  if (!spec) return { id, status: 'error', note: `unknown case ${JSON.stringify(id)}` };
  if (!values.shared) return { id, status: 'error', note: '--shared DIR is required' };
  const quick = values.quick === true;
  const dir = mkdtempSync(join(values.shared, `${id}-`));
  const ctx: CaseContext = { id, quick, dir, shared: values.shared, warmS: quick ? 0.15 : 1, measureS: quick ? 0.6 : 4 };
  try {
    const mod = (await import(`./cases/${spec.module}.js`)) as Record<string, CaseFn>;
    const fn = mod[spec.fn];
    if (typeof fn !== 'function') return { id, status: 'error', note: `cases/${spec.module}.js has no ${spec.fn}()` };
    return await fn(ctx);
  } catch (err) {
    if (err instanceof Unavailable) return { id, status: 'unavailable', note: err.message };
    const e = err as Error & { code?: string };
    return { id, status: 'error', note: `${e.code ? `${e.code}: ` : ''}${e.message}`, detail: e.stack?.split('\n').slice(0, 4).join(' | ') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const result = await main();
if (process.send) {
  // Exit only once the message is out: process.exit would cut the IPC write short.
  process.send(result, () => process.exit(0));
} else {
  console.log(JSON.stringify(result, null, 2));
  process.exit(0);
}
