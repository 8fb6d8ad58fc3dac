// Issue 7, item 2: crash at every step of cleanup-rotated (see maintenance-crash.ts).
import { test } from 'uvu';
import { crashTest } from './maintenance-crash.js';

crashTest(test, 'cleanup-rotated');
test.run();
