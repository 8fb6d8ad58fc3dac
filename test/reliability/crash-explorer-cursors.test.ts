// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `cursors`: durable cursor commits. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('cursors', 'durable cursor commits', { n: [40, 600], states: [250, 6000] });
