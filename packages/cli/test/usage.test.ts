// The command line itself: help, usage mistakes (exit 2), missing files (exit 1), always
// one line on stderr and never a stack trace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, threadwal, tempWal, writeLines } from './helpers.js';

/** One line on stderr, prefixed, and nothing that looks like a stack trace. */
function oneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.is(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, /^threadwal: /);
  assert.match(lines[0]!, pattern);
  assert.not.match(stderr, /\n\s+at /);
}

const COMMANDS = ['cat', 'tail', 'verify', 'stats', 'rotate', 'cleanup', 'bench'];

test('--help lists every command and exits 0', async () => {
  const r = await threadwal(['--help']);
  assert.is(r.code, 0);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
  assert.is(r.stderr, '');
});

test('each command has --help with its usage', async () => {
  const results = await Promise.all(COMMANDS.map((c) => threadwal([c, '--help'])));
  results.forEach((r, i) => {
    assert.is(r.code, 0, COMMANDS[i]);
    assert.match(r.stdout, `Usage: threadwal ${COMMANDS[i]}`);
  });
  assert.match(results[4]!.stdout, '--max-size <size>');
  assert.match(results[4]!.stdout, '64MiB');
  assert.match(results[5]!.stdout, '--max-age <duration>');
  assert.match(results[5]!.stdout, '7d');
});

test('--version prints the package version', async () => {
  const r = await threadwal(['--version']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('no command: help on stderr, exit 2', async () => {
  const r = await threadwal([]);
  assert.is(r.code, 2);
  assert.match(r.stderr, 'Usage: threadwal');
  assert.is(r.stdout, '');
});

test('unknown command, unknown option, missing argument: one line, exit 2', async () => {
  const path = tempWal();
  writeLines(path, 0, 3);
  const [cmd, opt, arg, extra, both] = await Promise.all([
    threadwal(['cta', path]),
    threadwal(['cat', path, '--colour']),
    threadwal(['verify']),
    threadwal(['stats', path, path]),
    threadwal(['cat', path, '--json', '--pretty']),
  ]);
  for (const r of [cmd, opt, arg, extra, both]) assert.is(r.code, 2, r.stderr);
  oneLine(cmd.stderr, /unknown command 'cta'.*Did you mean cat\?/);
  oneLine(opt.stderr, /unknown option '--colour'/);
  oneLine(arg.stderr, /missing required argument 'path'/);
  oneLine(extra.stderr, /too many arguments/);
  oneLine(both.stderr, /'--json' cannot be used with option '--pretty'/);
});

test('bad sizes, durations and counts: one line naming the option, exit 2', async () => {
  const path = tempWal();
  writeLines(path, 0, 3);
  const cases: Array<[string[], RegExp]> = [
    [['rotate', path, '--max-size', '64XB'], /--max-size <size>' argument '64XB' is invalid/],
    [['rotate', path, '--max-size', '1Mi'], /MiB/],
    [['rotate', path, '--max-size', '0'], /above 0/],
    [['rotate', path, '--keep', '-1'], /--keep <n>' argument '-1' is invalid/],
    [['cleanup', path, '--max-age', '7x'], /--max-age <duration>' argument '7x' is invalid.*7d/],
    [['cleanup', path, '--max-age', 'soon'], /argument 'soon' is invalid/],
    [['cleanup', path], /required option '--max-age <duration>' not specified/],
    [['cat', path, '--from-seq', 'ten'], /--from-seq <n>' argument 'ten' is invalid/],
  ];
  const results = await Promise.all(cases.map(([args]) => threadwal(args)));
  results.forEach((r, i) => {
    assert.is(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
    oneLine(r.stderr, cases[i]![1]);
    assert.is(r.stdout, '');
  });
});

test('a missing WAL: one line with ENOENT, exit 1, for every command that reads one', async () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'threadwal-cli-')), 'nope.wal');
  const runs = await Promise.all([
    threadwal(['cat', missing]),
    threadwal(['tail', missing]),
    threadwal(['verify', missing]),
    threadwal(['stats', missing]),
    threadwal(['rotate', missing]),
    threadwal(['cleanup', missing, '--max-age', '1d']),
  ]);
  for (const r of runs) {
    assert.is(r.code, 1, r.stderr);
    oneLine(r.stderr, /no such WAL: .*nope\.wal \(ENOENT\)/);
  }
});

test('a directory instead of a WAL: one line, exit 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'threadwal-cli-'));
  const r = await threadwal(['verify', dir]);
  assert.is(r.code, 1);
  oneLine(r.stderr, /is a directory.*EISDIR/);
});

test('without a built suite next to the CLI (an installed threadwal) there is no bench command', () => {
  // A copy of the built CLI in a tree without dist-scripts/bench, its modules linked back.
  const cli = dirname(dirname(BIN));
  const root = mkdtempSync(join(tmpdir(), 'threadwal-cli-'));
  const copy = join(root, 'packages', 'cli');
  mkdirSync(copy, { recursive: true });
  for (const part of ['bin', 'dist', 'package.json']) cpSync(join(cli, part), join(copy, part), { recursive: true });
  symlinkSync(join(cli, 'node_modules'), join(copy, 'node_modules'));
  const run = (args: string[]) => spawnSync(process.execPath, [join(copy, 'bin', 'threadwal.js'), ...args], { encoding: 'utf8' });
  const help = run(['--help']);
  assert.is(help.status, 0, help.stderr);
  assert.match(help.stdout, /^  cat /m);
  assert.not.match(help.stdout, /^  bench /m);
  const r = run(['bench']);
  assert.is(r.status, 2);
  oneLine(r.stderr, /unknown command 'bench'/);
  rmSync(root, { recursive: true, force: true });
});

test.run();
