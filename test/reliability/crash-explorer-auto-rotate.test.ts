// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `auto-rotate`: the writer's size rotation with retention. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('auto-rotate', 'the writer\'s size rotation with retention', { n: [70, 1400], states: [250, 6000] });
