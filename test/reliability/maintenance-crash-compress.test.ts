// Issue 13, item 6: crash at every step of compress (see maintenance-crash.ts).
import { test } from 'uvu';
import { crashTest } from './maintenance-crash.js';

crashTest(test, 'compress');
test.run();
