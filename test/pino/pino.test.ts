// pinoDestination with a real pino, one child process per exit path (thread-stream's fixture
// style): every line pino accepted before the process ended is in the WAL, verbatim.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/pino/', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a fixture; `onLine` sees each stdout line and may act on the child (kill it). */
function run(fixture: string, args: string[], onLine?: (line: string, kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(FIXTURES, fixture), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let seen = 0;
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${fixture} timed out: ${stdout} ${stderr}`)); }, 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const lines = stdout.split('\n').slice(0, -1);
      for (; seen < lines.length; seen++) onLine?.(lines[seen]!, (s) => child.kill(s));
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

interface PinoRecord {
  seq: number;
  ts: number;
  type: string;
  job_id: string;
  output: Record<string, unknown> & { msg?: string; level?: number };
  error?: string;
}

function records(path: string): PinoRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as PinoRecord);
}

function withDir(name: string, fn: (path: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), `threadwal-pino-${name}-`));
    try {
      await fn(join(dir, 'app.wal'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('process.exit() right after logging (before the writer thread is up) loses nothing', withDir('exit', async (path) => {
  const r = await run('exit-at-once.mjs', [path, '500']);
  assert.is(r.code, 0, r.stderr);
  const all = records(path);
  assert.equal(all.map((x) => x.seq), Array.from({ length: 500 }, (_, i) => i));
  assert.equal(all.map((x) => x.output.i), Array.from({ length: 500 }, (_, i) => i));
  assert.ok(all.every((x) => x.type === 'info' && x.job_id === 'pino' && x.output.msg === 'line'));
  assert.not.ok(existsSync(`${path}.lock`), 'the lock is released at exit');
}));

test('an uncaught throw right after a 100 KB line keeps the big line (pino#2054)', withDir('throw', async (path) => {
  const r = await run('throw-after-big.mjs', [path]);
  assert.is(r.code, 1);
  assert.match(r.stderr, 'crash after the big line');
  const all = records(path);
  assert.equal(all.map((x) => x.output.msg), ['first', 'big']);
  assert.is((all[1]!.output.big as string).length, 100 * 1024);
}));

for (const how of ['exit', 'end'] as const) {
  test(`logging inside process.on('exit') works (${how === 'exit' ? 'process.exit(3)' : 'end of script'}) (pino#1400)`, withDir(`onexit-${how}`, async (path) => {
    const r = await run('log-in-exit.mjs', [path, how]);
    assert.is(r.code, how === 'exit' ? 3 : 0, r.stderr);
    assert.is(r.stderr, '');
    const all = records(path);
    assert.equal(all.map((x) => x.output.msg), ['before', 'in exit']);
    assert.is(all[1]!.output.code, how === 'exit' ? 3 : 0);
    assert.not.ok(existsSync(`${path}.lock`), 'the lock is released again after the late line');
  }));
}

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${sig} with no handler of the app: lines flushed, then the process dies of ${sig} (pino#2002)`, withDir(sig, async (path) => {
    const r = await run('signal.mjs', [path, '200'], (line, kill) => { if (line === 'ready') kill(sig); });
    assert.is(r.signal, sig, `code ${r.code}: ${r.stderr}`);
    const all = records(path);
    assert.equal(all.map((x) => x.output.i), Array.from({ length: 200 }, (_, i) => i));
  }));
}

test('SIGTERM with a handler of the app: the app keeps control, and its exit loses nothing', withDir('sigterm-app', async (path) => {
  const r = await run('signal.mjs', [path, '200', 'handler'], (line, kill) => { if (line === 'ready') kill('SIGTERM'); });
  assert.is(r.signal, null);
  assert.is(r.code, 7, r.stderr);
  assert.match(r.stdout, 'handled');
  const all = records(path);
  assert.is(all.length, 201);
  assert.is(all[200]!.output.msg, 'app handler');
}));

test('logger.flush(cb) calls back on an idle loop, with every line on disk (pino#2481)', withDir('idle', async (path) => {
  const r = await run('idle-flush.mjs', [path, '3000']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'flushed ok 3000\n');
}));

for (const level of ['fatal', 'error'] as const) {
  test(`${level} is on disk when the call returns (syncLevel ${level}; SIGKILL right after)`, withDir(`sync-${level}`, async (path) => {
    const r = await run('fatal-kill.mjs', [path, level === 'fatal' ? '' : 'error'], (line, kill) => { if (line === 'returned') kill('SIGKILL'); });
    assert.is(r.signal, 'SIGKILL', r.stderr);
    const all = records(path);
    assert.equal(all.map((x) => x.type), ['info', level]);
    assert.is(all[1]!.output.msg, 'going down');
    assert.is(all[1]!.error, 'disk on fire');
  }));
}

test('pino(dest) with one argument takes the destination for a stream', withDir('onearg', async (path) => {
  const r = await run('one-arg.mjs', [path]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '', 'nothing went to stdout');
  assert.equal(records(path).map((x) => x.output.msg), ['one argument']);
}));

test('pino.multistream: levels are honoured and multistream.end() closes the destination', withDir('multi', async (path) => {
  const r = await run('multistream.mjs', [path]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'closed 1\n');
  assert.equal(records(path).map((x) => x.output.msg), ['to threadwal', 'to both']);
}));

test('loggers in 4 worker threads sharing one WAL: one gapless seq order, each thread in order', withDir('workers', async (path) => {
  const r = await run('workers.mjs', [path, '500']);
  assert.is(r.code, 0, r.stderr);
  const all = records(path);
  assert.is(all.length, 2001);
  assert.equal(all.map((x) => x.seq), Array.from({ length: 2001 }, (_, i) => i));
  for (let k = 0; k < 4; k++) {
    const mine = all.filter((x) => x.job_id === `w${k}`);
    assert.equal(mine.map((x) => x.output.i), Array.from({ length: 500 }, (_, i) => i));
  }
  assert.is(all.filter((x) => x.job_id === 'main').length, 1);
}));

test('the transport target: flush(cb) calls back with the lines on disk; the exit ends it', withDir('transport', async (path) => {
  const r = await run('transport.mjs', [path, '300']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'flushed ok 300\n');
  const all = records(path);
  assert.equal(all.map((x) => x.output.i), Array.from({ length: 300 }, (_, i) => i));
  assert.ok(all.every((x) => x.job_id === 'tj' && x.type === 'info'));
}));

test('a WAL that cannot be opened, with process.exit() at once: the exit says so (EWORKER), not a flushSync timeout', withDir('openfail', async (path) => {
  mkdirSync(path);
  const r = await run('open-fails-at-exit.mjs', [path]);
  // Lines were lost: the exit hook says how many and why, and the exit code says so (issue 10).
  assert.is(r.code, 1);
  assert.match(r.stderr, /appended event\(s\) not durable at exit \(EWORKER: the writer thread died/);
}));

test.run();
