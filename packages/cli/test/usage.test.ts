// The command line itself: help, usage mistakes (exit 2), missing files (exit 1), always
// one line on stderr and never a stack trace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, threadwal, tempDir, tempWal, writeLines } from './helpers.js';

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
    // Whole bytes, whole seconds, and always the CLI's own option name (never maxAgeSecs).
    [['rotate', path, '--max-size', '1.5'], /--max-size <size>' argument '1\.5' is invalid\. Not a whole number of bytes/],
    [['rotate', path, '--max-size', '0.3k'], /--max-size <size>' argument '0\.3k' is invalid\. Not a whole number of bytes/],
    [['cleanup', path, '--max-age', '1.5s'], /--max-age <duration>' argument '1\.5s' is invalid\. The duration must be a whole number of seconds/],
    [['cleanup', path, '--max-age', '250ms'], /--max-age <duration>' argument '250ms' is invalid/],
    [['cleanup', path, '--max-age', '99999999999999999999'], /--max-age <duration>' argument '99999999999999999999' is invalid\. The duration is too large/],
    [['verify', path, '--max-issues', '0'], /--max-issues <n>' argument '0' is invalid\. The number must be at least 1/],
  ];
  const results = await Promise.all(cases.map(([args]) => threadwal(args)));
  results.forEach((r, i) => {
    assert.is(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
    oneLine(r.stderr, cases[i]![1]);
    assert.not.match(r.stderr, /maxAgeSecs|maxSizeBytes|maxRotations|maxIssues|options\./);
    assert.is(r.stdout, '');
  });
});

test('sizes are exact whole bytes: 1.005kB is 1005, where floats said 1004.999… and rounded down', async () => {
  const path = tempWal();
  const head = '{"seq":0,"ts":1715800000,"type":"job_started","job_id":"';
  writeFileSync(path, `${head}${'x'.repeat(1004 - head.length - 3)}"}\n`); // 1004 bytes, one record
  const r = await threadwal(['rotate', path, '--max-size', '1.005kB', '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { rotated: boolean; size: number };
  assert.is(out.size, 1004);
  assert.is(out.rotated, false, '1004 bytes is under 1.005kB');
});

test('a missing WAL: one line with ENOENT, exit 1, for every command that reads one', async () => {
  const missing = join(tempDir(), 'nope.wal');
  const runs = await Promise.all([
    threadwal(['cat', missing]),
    threadwal(['tail', missing]),
    threadwal(['verify', missing]),
    threadwal(['stats', missing]),
    threadwal(['cleanup', missing, '--max-age', '1d']),
  ]);
  for (const r of runs) {
    assert.is(r.code, 1, r.stderr);
    oneLine(r.stderr, /no such WAL: .*nope\.wal \(ENOENT\)/);
  }
});

test('rotate of a missing WAL: one line saying nothing was rotated, exit 0, nothing created', async () => {
  const dir = tempDir();
  const missing = join(dir, 'nope.wal');
  const r = await threadwal(['rotate', missing]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.match(r.stdout, /^not rotated: no WAL at .*nope\.wal \(nothing to rotate\)\n$/);
  assert.equal(readdirSync(dir), []);
});

test('a FIFO, a socket or a device: refused up front (never opened, so nothing hangs), one line, exit 1, for every command', async () => {
  const dir = tempDir();
  const fifo = join(dir, 'fifo.wal');
  assert.is(spawnSync('mkfifo', [fifo]).status, 0);
  const sock = join(dir, 'sock.wal');
  const server = createServer().listen(sock);
  await once(server, 'listening');
  const inSegment = join(dir, 'app.wal');
  writeLines(inSegment, 0, 3);
  assert.is(spawnSync('mkfifo', [`${inSegment}.1`]).status, 0);
  try {
    const cases: Array<[string, RegExp]> = [
      [fifo, /fifo\.wal is a FIFO, not a WAL file/],
      [sock, /sock\.wal is a socket, not a WAL file/],
      ['/dev/null', /\/dev\/null is a device, not a WAL file/],
      [inSegment, /app\.wal\.1 is a FIFO, not a WAL file/],
    ];
    for (const [path, pattern] of cases) {
      const runs = await Promise.all([
        threadwal(['cat', path], { timeoutMs: 10_000 }),
        threadwal(['tail', path], { timeoutMs: 10_000 }),
        threadwal(['tail', '-f', path], { timeoutMs: 10_000 }),
        threadwal(['verify', path], { timeoutMs: 10_000 }),
        threadwal(['stats', path], { timeoutMs: 10_000 }),
        threadwal(['rotate', path], { timeoutMs: 10_000 }),
        threadwal(['cleanup', path, '--max-age', '1d'], { timeoutMs: 10_000 }),
      ]);
      for (const r of runs) {
        assert.is(r.code, 1, `${path}: ${r.stderr}`);
        oneLine(r.stderr, pattern);
      }
    }
  } finally {
    server.close();
  }
});

test('a side file of a WAL (.meta, .lock, .lock.want): one line saying it is not a WAL and naming the WAL, exit 1', async () => {
  const path = tempWal();
  writeLines(path, 0, 3);
  writeFileSync(`${path}.meta`, '{"next_seq":3}\n');
  writeFileSync(`${path}.lock`, ''); // the lock is an empty file (core's lock-file.ts)
  writeFileSync(`${path}.lock.want`, '');
  const cases: Array<[string, RegExp]> = [
    [`${path}.meta`, /app\.wal\.meta is the \.meta file \(next seq\) of the WAL app\.wal, not a WAL/],
    [`${path}.lock`, /app\.wal\.lock is the lock of the WAL app\.wal, not a WAL/],
    [`${path}.lock.want`, /app\.wal\.lock\.want is the lock-wanted hint of the WAL app\.wal, not a WAL/],
  ];
  for (const [side, pattern] of cases) {
    for (const r of await Promise.all([threadwal(['verify', side]), threadwal(['cat', side]), threadwal(['rotate', side])])) {
      assert.is(r.code, 1, r.stderr);
      oneLine(r.stderr, pattern);
      assert.is(r.stdout, '');
    }
  }
  // All events removed: the .meta alone is still the log's, known by what it holds.
  const cleaned = tempWal();
  writeFileSync(`${cleaned}.meta`, '{"next_seq":9}\n');
  const m = await threadwal(['verify', `${cleaned}.meta`]);
  assert.is(m.code, 1);
  oneLine(m.stderr, /is the \.meta file \(next seq\) of the WAL app\.wal, not a WAL/);
  // A file merely named like one, with no WAL beside it, is a WAL like any other.
  const lone = tempWal('notes.meta');
  writeLines(lone, 0, 2);
  const v = await threadwal(['verify', lone]);
  assert.is(v.code, 0, v.stderr);
});

test('a directory instead of a WAL: one line, exit 1', async () => {
  const dir = tempDir();
  const r = await threadwal(['verify', dir]);
  assert.is(r.code, 1);
  oneLine(r.stderr, /is a directory.*EISDIR/);
});

test('without a built suite next to the CLI (an installed threadwal) there is no bench command', () => {
  // A copy of the built CLI in a tree without dist-scripts/bench, its modules linked back.
  const cli = dirname(dirname(BIN));
  const root = tempDir();
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
});

test.run();
