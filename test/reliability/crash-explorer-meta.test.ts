// Crash-state explorer (issue 22, item 1; docs/RELIABILITY.md, "Crash-state explorer"),
// workload `meta`: every .meta update: the id, next_seq before rotations and a cleanup that drop every event. Traced with strace; every state a power cut could leave
// (a sample at CI size) is opened with the real code and checked.
import { explorerTest } from './explorer/suite.js';

explorerTest('meta', 'every .meta update: the id, next_seq before rotations and a cleanup that drop every event', { n: [60, 1200], states: [250, 6000] });
