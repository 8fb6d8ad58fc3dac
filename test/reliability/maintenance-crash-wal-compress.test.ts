// Issue 19, item 5: crash at every step of a writer rotation with rotate.compress (see maintenance-crash.ts).
import { test } from 'uvu';
import { crashTest } from './maintenance-crash.js';

crashTest(test, 'wal-compress');
test.run();
