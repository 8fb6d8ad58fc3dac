// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `checkpoint`: the ship checkpoint's commits and the shipper's local resume. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('checkpoint', 'the ship checkpoint\'s commits and the shipper\'s local resume', { n: [60, 600], states: [250, 6000] });
