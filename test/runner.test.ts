// scripts/test.mjs itself: every test file runs with a private, empty TMPDIR, and a file
// that leaves anything there fails the run by name, its leftovers removed (issue 10, item 11).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNNER = fileURLToPath(new URL('../scripts/test.mjs', import.meta.url));
const PROBE = fileURLToPath(new URL('./fixtures/leak-probe.test.js', import.meta.url));

/** Runs test.mjs on the probe with a fresh system temp dir; returns its output and what it left there. */
function runProbe(leak: boolean): { status: number | null; out: string; left: string[] } {
  const tmp = mkdtempSync(join(tmpdir(), 'threadwal-runner-'));
  try {
    const r = spawnSync(process.execPath, [RUNNER, PROBE], {
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: tmp, THREADWAL_LEAK_PROBE: leak ? '1' : '' },
    });
    return { status: r.status, out: r.stdout + r.stderr, left: readdirSync(tmp) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('a test file that cleans up passes, in an empty temp dir of its own, and the run leaves nothing', () => {
  const r = runProbe(false);
  assert.is(r.status, 0, r.out);
  assert.match(r.out, /\n1 passed, 0 failed\n/);
  assert.equal(r.left, []);
});

test('a test file that leaves a directory behind fails the run, named with its leftovers, which are removed', () => {
  const r = runProbe(true);
  assert.is(r.status, 1, r.out);
  assert.match(r.out, /leak-probe\.test\.js: left 1 entry in the temp dir: leaked-by-probe-/);
  assert.match(r.out, /\n1 passed, 1 failed\n/);
  assert.equal(r.left, []);
});

test.run();
