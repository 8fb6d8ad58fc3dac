// Entry of the pool's worker threads. Imports the job implementations and the lock (safe
// here: signal-exit only misbehaves on the main thread); never the main-side modules.
import { WalError, fromFsError, toWire } from '@threadwal/core';
import { runRotate } from '../lifecycle/rotate-job.js';
import { runCleanup } from '../lifecycle/cleanup-job.js';
import { runVerify } from '../verify/verify-job.js';
import { runCompress } from '../lifecycle/compress-job.js';
import { runRetention } from '../lifecycle/retention-job.js';
import { CANCELLED, JobContext } from './job-context.js';
import { assertNever, type Job, type JobReply } from './protocol.js';

/** Runs one job; never throws: failures come back as wire errors, to be rebuilt into WalError. */
export default async function run(job: Job): Promise<JobReply<unknown>> {
  const ctx = new JobContext(job.type === 'rotate' || job.type === 'retention' ? null : job.control);
  try {
    switch (job.type) {
      case 'rotate':
        return { type: 'done', value: await runRotate(job) };
      case 'cleanup':
        return { type: 'done', value: await runCleanup(job, ctx) };
      case 'compress':
        return { type: 'done', value: await runCompress(job, ctx) };
      case 'retention':
        return { type: 'done', value: await runRetention(job) };
      case 'verify':
        return { type: 'done', value: await runVerify(job, ctx) };
      default:
        return assertNever(job);
    }
  } catch (err) {
    if (err === CANCELLED) return { type: 'aborted' };
    const e = err instanceof WalError ? err : fromFsError(err, job.path, job.type);
    return { type: 'failed', error: toWire(e) };
  } finally {
    ctx.finish();
    ctx.close();
  }
}
