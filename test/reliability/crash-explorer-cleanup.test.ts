// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `cleanup`: cleanup deleting segments, rewriting the one holding the cutoff and the active file. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('cleanup', 'cleanup deleting segments, rewriting the one holding the cutoff and the active file', { n: [50, 850], states: [250, 6000] });
