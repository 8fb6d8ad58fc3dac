// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `maint-rotate`: maintenance rotate with a writer open, with and without retention. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('maint-rotate', 'maintenance rotate with a writer open, with and without retention', { n: [70, 1300], states: [250, 6000] });
