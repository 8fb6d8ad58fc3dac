// Issue 7, item 2: crash at every step of wal-rotate (see maintenance-crash.ts).
import { test } from 'uvu';
import { crashTest } from './maintenance-crash.js';

crashTest(test, 'wal-rotate');
test.run();
