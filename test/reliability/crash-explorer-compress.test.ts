// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `compress`: compress and rotate + compress with a writer open. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('compress', 'compress and rotate + compress with a writer open', { n: [50, 950], states: [250, 6000] });
