// `threadwal ship` as a user runs it: the built CLI against a real nats-server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { natsAvailable, startServer, freePort, type NatsServer } from '../src/testing.js';
import { tmpDir, appendEvents, checkStream, until } from './helpers.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/threadwal.js', import.meta.url));

function run(args: string[], onSpawn?: (kill: (s: NodeJS.Signals) => void, out: () => string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    onSpawn?.((s) => child.kill(s), () => stdout + stderr);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function oneLine(stderr: string, re: RegExp): void {
  const lines = stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, stderr);
  assert.match(lines[0]!, /^threadwal: /);
  assert.match(lines[0]!, re);
}

const avail = natsAvailable();
let server: NatsServer;
test.before(async () => { if (avail.ok) server = await startServer(tmpDir()); });
test.after(async () => { await server?.stop(); });

test('ship --help shows its usage; missing required options are a usage error (exit 2)', async () => {
  const h = await run(['ship', '--help']);
  assert.is(h.code, 0);
  assert.match(h.stdout, 'Usage: threadwal ship');
  assert.match(h.stdout, '--create-stream');
  assert.match(h.stdout, '--batch-events');
  assert.match(h.stdout, '--server-sync-interval');
  const rh = await run(['ship-read', '--help']);
  assert.is(rh.code, 0);
  assert.match(rh.stdout, 'Usage: threadwal ship-read');
  const top = await run(['--help']);
  assert.match(top.stdout, /^ {2}ship /m);
  const path = join(tmpDir(), 'app.wal');
  await appendEvents(path, 1);
  const r = await run(['ship', path, '--server', 'nats://127.0.0.1:1']);
  assert.is(r.code, 2);
  oneLine(r.stderr, /required option '--stream <name>' not specified/);
});

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
} else {
  test('ship --once --create-stream --json ships everything and prints the status', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 500);
    const r = await run(['ship', path, '--server', server.url, '--stream', 'CLI1', '--subject', 'tw.cli1', '--create-stream', '--once', '--json']);
    assert.is(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { ackedSeq: number; shipped: number; lagEvents: number; state: string };
    assert.equal([s.ackedSeq, s.shipped, s.lagEvents, s.state], [499, 500, 0, 'stopped']);
    const c = await checkStream(server.url, 'CLI1', path);
    assert.is(c.streamEvents, 500);
    assert.is(c.firstProblem, null);
    const again = await run(['ship', path, '--server', server.url, '--stream', 'CLI1', '--subject', 'tw.cli1', '--once']);
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, /^shipped 0 events to CLI1 \(tw\.cli1\); acked through seq 499, lag 0\n$/);
  });

  test('ship --batch-events / --batch-bytes; ship-read prints the events as JSONL (as cat does), --from-seq, --raw', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 500);
    const one = await run(['ship', path, '--server', server.url, '--stream', 'CLI3', '--subject', 'tw.cli3', '--create-stream', '--once', '--json', '--batch-events', '1']);
    assert.is(one.code, 0, one.stderr);
    const s1 = JSON.parse(one.stdout) as { shipped: number; messages: number };
    assert.equal([s1.shipped, s1.messages], [500, 500]);
    await appendEvents(path, 500, 500);
    const batched = await run(['ship', path, '--server', server.url, '--stream', 'CLI3', '--subject', 'tw.cli3', '--once', '--json', '--batch-bytes', '8k']);
    assert.is(batched.code, 0, batched.stderr);
    const s2 = JSON.parse(batched.stdout) as { shipped: number; messages: number };
    assert.is(s2.shipped, 500);
    assert.ok(s2.messages > 4 && s2.messages < 50, `${s2.messages} messages of at most 8 KiB`);
    const cat = await run(['cat', path]);
    const back = await run(['ship-read', '--server', server.url, '--stream', 'CLI3']);
    assert.is(back.code, 0, back.stderr);
    assert.is(back.stdout, cat.stdout);
    assert.is(back.stdout.split('\n').filter(Boolean).length, 1000);
    const from = await run(['ship-read', '--server', server.url, '--stream', 'CLI3', '--from-seq', '990', '--raw']);
    assert.equal(from.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { seq: number }).seq), [990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
    const missing = await run(['ship-read', '--server', server.url, '--stream', 'NOSUCH']);
    assert.is(missing.code, 1);
    oneLine(missing.stderr, /stream NOSUCH not found/);
  });

  test('ship follows until SIGTERM, then drains, commits and exits 0', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 100);
    let kill: (s: NodeJS.Signals) => void = () => undefined;
    const p = run(['ship', path, '--server', server.url, '--stream', 'CLI2', '--subject', 'tw.cli2', '--create-stream', '--json'], (k) => { kill = k; });
    await until(async () => (await checkStream(server.url, 'CLI2', path).catch(() => ({ streamEvents: 0 }))).streamEvents === 100, 'the events to arrive', 30_000);
    await appendEvents(path, 50, 100);
    await until(async () => (await checkStream(server.url, "CLI2", path)).streamEvents === 150, 'the new events to follow', 30_000);
    kill('SIGTERM');
    const r = await p;
    assert.is(r.code, 0, r.stderr);
    assert.is((JSON.parse(r.stdout) as { committedSeq: number }).committedSeq, 149);
  });

  test('one-line errors: missing stream, unreachable server, auth failure (exit 1)', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 3);
    const missing = await run(['ship', path, '--server', server.url, '--stream', 'NOSUCH', '--subject', 'tw.none', '--once']);
    assert.is(missing.code, 1);
    oneLine(missing.stderr, /stream NOSUCH not found/);
    const port = await freePort();
    const down = await run(['ship', path, '--server', `nats://127.0.0.1:${port}`, '--stream', 'X', '--subject', 'tw.x', '--once', '--connect-timeout', '300']);
    assert.is(down.code, 1);
    oneLine(down.stderr, new RegExp(`cannot reach a NATS server at nats://127.0.0.1:${port}`));
    const authed = await startServer(tmpDir(), 'auth', ['--user', 'u', '--pass', 'right']);
    const pwFile = join(tmpDir(), 'pw');
    writeFileSync(pwFile, 'wrong\n');
    try {
      const bad = await run(['ship', path, '--server', authed.url, '--user', 'u', '--password-file', pwFile, '--stream', 'X', '--subject', 'tw.x', '--once']);
      assert.is(bad.code, 1);
      oneLine(bad.stderr, /authorization failed/);
    } finally {
      await authed.stop();
    }
  });
}

test.run();
