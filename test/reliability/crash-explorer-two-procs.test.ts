// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `two-procs`: two processes appending, the lock changing hands. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('two-procs', 'two processes appending, the lock changing hands', { n: [30, 400], states: [250, 6000] });
