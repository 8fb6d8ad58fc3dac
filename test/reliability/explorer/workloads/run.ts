// The explorer's workloads, each run under strace by the explorer (never by the test runner:
// this is not a test file).   node run.js <workload> <walPath> <n> [tag]
import { newWal, appender, twoProcesses } from './appends.js';
import { autoRotate, maintenanceRotate, metaUpdates } from './rotation.js';
import { cleanupWorkload, compressWorkload } from './maintenance.js';
import { cursorCommits, shipCheckpoint } from './consumers.js';

const [name, path, count, tag] = process.argv.slice(2) as [string, string, string, string | undefined];
const n = Number(count);
const workloads: Record<string, () => Promise<void>> = {
  'new-wal': () => newWal(path, n),
  'two-procs': () => twoProcesses(path, n),
  appender: () => appender(path, tag!, n),
  'auto-rotate': () => autoRotate(path, n),
  'maint-rotate': () => maintenanceRotate(path, n),
  meta: () => metaUpdates(path, n),
  cleanup: () => cleanupWorkload(path, n),
  compress: () => compressWorkload(path, n),
  cursors: () => cursorCommits(path, n),
  checkpoint: () => shipCheckpoint(path, n),
};
const run = workloads[name];
if (!run) throw new Error(`unknown workload ${name}`);
await run();
