// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `new-wal`: a new WAL's first appends. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('new-wal', 'a new WAL\'s first appends', { n: [75, 1200], states: [250, 6000] });
