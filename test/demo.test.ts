// The demo as a newcomer meets it: the commands it suggests work as printed, it says where
// its files are and how to remove them, and a second run removes the first one's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DEMO = fileURLToPath(new URL('../dist-scripts/demo.js', import.meta.url));

function demo(): string {
  const r = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', env: { ...process.env, THREADWAL_DEMO_MS: '300', NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.replace(/\x1b\[[0-9;]*m/g, '');
}

test('the suggested commands run as printed; the files are named, removable, and replaced by the next run', () => {
  const out = demo();
  const alias = /alias threadwal='([^']+)'/.exec(out);
  assert.ok(alias, out);
  const dir = /stay in (\S+) for these commands/.exec(out)?.[1];
  assert.ok(dir && existsSync(dir), out);
  const rm = /^ {2}rm -r (\S+)$/m.exec(out)?.[1];
  assert.is(rm, dir);
  // `threadwal cat --pretty <wal> | head` through the printed alias.
  const cat = /^ {2}threadwal (cat --pretty \S+) \| head/m.exec(out)?.[1];
  assert.ok(cat, out);
  const r = spawnSync('bash', ['-c', `${alias![1]} ${cat} | head -3`], { encoding: 'utf8' });
  assert.is(r.stderr, '');
  assert.match(r.stdout, /job_/);
  const again = demo();
  assert.not.ok(existsSync(dir!), 'the second run removed the first run\'s files');
  const dir2 = /stay in (\S+) for these commands/.exec(again)![1]!;
  assert.is(spawnSync('bash', ['-c', `rm -r ${dir2}`]).status, 0);
  assert.not.ok(existsSync(dir2));
});

test.run();
