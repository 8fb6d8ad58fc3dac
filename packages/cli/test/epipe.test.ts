// A reader that closes the pipe early (`threadwal --help | head -1`) ends the command
// quietly: exit 0, nothing on stderr. The EPIPE races the write, so each case runs several
// times (before the fix most runs crashed with an unhandled 'error' stack, exit 1).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { BIN, tempWal, writeLines } from './helpers.js';

const RUNS = 8;

/** Runs `threadwal <args> | head -1` in bash with pipefail: the status is threadwal's. */
function throughHead(args: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" ${args} | head -1`], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--help | head -1 exits 0 with nothing on stderr, every run', () => {
  for (let i = 0; i < RUNS; i++) {
    const r = throughHead('--help');
    assert.is(r.stderr, '', `run ${i}: ${r.stderr}`);
    assert.is(r.status, 0, `run ${i}`);
    assert.match(r.stdout, /^Usage: threadwal/);
  }
});

test('cat of a long log | head -1 exits 0 with nothing on stderr', () => {
  const path = tempWal();
  writeLines(path, 0, 20_000);
  for (let i = 0; i < 3; i++) {
    const r = throughHead(`cat "${path}"`);
    assert.is(r.stderr, '', r.stderr);
    assert.is(r.status, 0);
    assert.match(r.stdout, /^\{"seq":0,/);
  }
});

test.run();
