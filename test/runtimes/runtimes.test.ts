// threadwal on Node, Bun and Deno, as a user gets it: every workspace package packed and
// npm-installed into a fresh app, then the same scripts run under each runtime: the API on
// one thread, threads (port()/connectWal), exit flush, the writer thread's death, SIGKILL
// mid-append, the CLI, pino, shipping (when nats-server is here) and, on Deno, the typed
// error a missing permission gives. A runtime is skipped, saying why, only when its binary
// is absent (.ci/run installs bun and deno from npm; see runtimes.ts for where it looks).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packAll, ok, ROOT } from '../consumer/steps.js';
import { childEnv, findRuntimes, start, type Result, type Runtime } from './runtimes.js';
import { checkDeath, checkExitFlush, checkKill, checkThreads, killRound, readAll, writeWal, type DeathReport, type KillRound } from './checks.js';
import { cliScenario } from './cli.js';
import { natsAvailable, startServer, type NatsServer } from '@threadwal/ship/testing';

const FIXTURES = fileURLToPath(new URL('../../test/runtimes/fixtures/', import.meta.url));
const PINO_FIXTURES = join(ROOT, 'test', 'fixtures', 'pino');
const started = performance.now();
const tmp = mkdtempSync(join(tmpdir(), 'threadwal-runtimes-'));
const app = join(tmp, 'app');
const env = childEnv(join(tmp, 'tmp'));
mkdirSync(join(tmp, 'tmp'));
const { runtimes, missing } = findRuntimes();
const summary: string[] = [];

/** One nats-server for every runtime's ship test, started by the first (null when it cannot run here). */
let nats: Promise<NatsServer | null> | null = null;
function natsServer(): Promise<NatsServer | null> {
  nats ??= (async () => {
    const can = natsAvailable();
    if (!can.ok) {
      console.log(`[runtimes] ship tests skipped: ${can.reason}`);
      return null;
    }
    return startServer(join(tmp, 'nats'));
  })();
  return nats;
}

test.after(async () => {
  await (await nats)?.stop();
  rmSync(tmp, { recursive: true, force: true });
  for (const line of summary) console.log(`[runtimes] ${line}`);
  console.log(`[runtimes] whole suite ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

/** Runs `script` of the app (or a file in node_modules) under `rt` in the app directory. */
function run(rt: Runtime, script: string, args: string[], timeoutMs = 30_000): Promise<Result> {
  return start(rt.bin, rt.argv(script, args), app, env, timeoutMs).done;
}

function data(rt: Runtime, name: string): string {
  const dir = join(tmp, 'data', rt.name);
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

const show = (r: Result): string => `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const json = <T>(r: Result): T => {
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no JSON line\n${show(r)}`);
  return JSON.parse(line!) as T;
};

test('pack every package and npm install the tarballs (and pino) into a fresh app', async () => {
  const tarballs = await packAll(join(tmp, 'packs'));
  mkdirSync(app, { recursive: true });
  cpSync(join(FIXTURES), app, { recursive: true });
  for (const f of ['exit-at-once.mjs', 'transport.mjs', 'signal.mjs']) cpSync(join(PINO_FIXTURES, f), join(app, `pino-${f}`));
  const pino = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies.pino;
  await ok('npm', ['init', '-y'], app);
  await ok('npm', ['pkg', 'set', 'type=module'], app);
  const r = await ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs.map((t) => t.filename), `pino@${pino}`], app, 180_000);
  summary.push(`packed and installed in ${((performance.now() - started) / 1000).toFixed(1)} s (npm install ${(r.ms / 1000).toFixed(1)} s)`);
  summary.push(runtimes.map((rt) => `${rt.name} ${rt.version}`).join(', '));
});

for (const m of missing) {
  console.log(`[runtimes] ${m.name} skipped: ${m.reason}`);
  test.skip(`${m.name}: skipped, its binary is absent`, () => undefined);
}

for (const rt of runtimes) {
  const t0 = { at: 0 };
  const notes: string[] = [];

  test(`${rt.name}: the API on one thread, maintenance and the pino destination; the process ends on its own`, async () => {
    t0.at = performance.now();
    const dir = data(rt, 'api');
    mkdirSync(dir);
    const r = await run(rt, 'api.mjs', [dir]);
    assert.is(r.code, 0, show(r));
    const out = json<{ checks: Array<{ name: string; ok: boolean; error?: string; detail?: { closeMs?: number } }> }>(r);
    const failed = out.checks.filter((c) => !c.ok);
    assert.equal(failed.map((c) => `${c.name}: ${c.error}`), [], `${rt.name}: failed checks`);
    assert.ok(out.checks.length >= 20, `${out.checks.length} checks ran`);
    notes.push(`close ${out.checks.find((c) => c.detail?.closeMs !== undefined)?.detail?.closeMs} ms`);
  });

  test(`${rt.name}: main + 3 workers through wal.port()/connectWal, a worker's process.exit, an owner thread gone`, async () => {
    const dir = data(rt, 'threads');
    mkdirSync(dir);
    const r = await run(rt, 'threads.mjs', [dir]);
    assert.is(r.code, 0, show(r));
    checkThreads(json(r), await readAll(join(dir, 'threads.wal')), await readAll(join(dir, 'owner.wal')));
  });

  test(`${rt.name}: appendNoWait events are durable however the process ends`, async () => {
    const modes = { exit: 0, end: 0, throw: 1, timer: 1, early: 0 } as const;
    const runs = await Promise.all(Object.keys(modes).map((mode) => run(rt, 'exit-flush.mjs', [data(rt, `exit-${mode}.wal`), mode, '1000'])));
    for (const [i, [mode, code]] of Object.entries(modes).entries()) await checkExitFlush(mode, runs[i]!, code, data(rt, `exit-${mode}.wal`), 1000);
  });

  test(`${rt.name}: the writer thread dies (process.exit, a throw): EWORKER, restart, every acked event intact`, async () => {
    for (const how of ['exit', 'throw']) {
      for (const wait of ['async', 'sync']) {
        const path = data(rt, `death-${how}-${wait}.wal`);
        const r = await run(rt, 'death.mjs', [path, how, wait]);
        assert.is(r.code, 0, show(r));
        checkDeath(`${how}/${wait}`, json<DeathReport>(r), await readAll(path), wait);
      }
    }
  });

  test(`${rt.name}: SIGKILL mid-append, twice: every acked event on disk, the dead holder's lock taken over`, async () => {
    const path = data(rt, 'kill.wal');
    const rounds: KillRound[] = [];
    for (const target of [300 + Math.floor(Math.random() * 300), 200 + Math.floor(Math.random() * 300)]) {
      rounds.push(await killRound(() => start(rt.bin, rt.argv('kill.mjs', [path, '25']), app, env, 30_000), target));
    }
    checkKill(rounds, path);
    notes.push(`killed at acked seq ${rounds.map((k) => k.acked).join(', ')}`);
  });

  test(`${rt.name}: the CLI (cat, tail, tail -f + SIGINT, verify, stats, rotate, compress, cursors, cleanup)`, async () => {
    const dir = join(tmp, 'data', rt.name, 'cli');
    mkdirSync(dir, { recursive: true });
    await writeWal(join(dir, 'cli.wal'), 100);
    await cliScenario(rt, app, env, dir);
  });

  test(`${rt.name}: pino: lines logged then process.exit(), the transport's flush, SIGTERM with no handler`, async () => {
    const [exitAtOnce, transport] = await Promise.all([
      run(rt, 'pino-exit-at-once.mjs', [data(rt, 'pino-exit.wal'), '1000']),
      run(rt, 'pino-transport.mjs', [data(rt, 'pino-transport.wal'), '100']),
    ]);
    assert.is(exitAtOnce.code, 0, show(exitAtOnce));
    assert.is((await readAll(data(rt, 'pino-exit.wal'))).length, 1000, 'every line logged before process.exit()');
    assert.is(transport.code, 0, show(transport));
    assert.match(transport.stdout, 'flushed ok 100', show(transport));
    const s = start(rt.bin, rt.argv('pino-signal.mjs', [data(rt, 'pino-signal.wal'), '500']), app, env);
    s.onLine((l) => { if (l === 'ready') s.child.kill('SIGTERM'); });
    const sig = await s.done;
    assert.ok(sig.signal === 'SIGTERM' || sig.code === 143, `died of SIGTERM: ${show(sig)}`);
    assert.is((await readAll(data(rt, 'pino-signal.wal'))).length, 500, 'every line logged before the SIGTERM');
  });

  test(`${rt.name}: ship() and the CLI's ship --once to a JetStream stream, exactly once`, async () => {
    const server = await natsServer();
    if (!server) return;
    const path = data(rt, 'ship.wal');
    const stream = `RT_${rt.name.toUpperCase()}`;
    const r = await run(rt, 'ship.mjs', [path, server.url, stream]);
    assert.is(r.code, 0, show(r));
    assert.equal(json(r), { first: [499, 500], second: [699, 200, 0] });
    const bin = join(app, 'node_modules', 'threadwal', 'bin', 'threadwal.js');
    const cli = await run(rt, bin, ['ship', path, '--server', server.url, '--stream', stream, '--subject', `${stream}.events`, '--once']);
    assert.is(cli.code, 0, show(cli));
    assert.match(cli.stdout + cli.stderr, 'shipped 0 events');
    assert.match(cli.stdout + cli.stderr, 'acked through seq 699');
  });

  if (rt.name !== 'node') {
    test(`${rt.name}: older than the minimum supported: ERUNTIME at each call`, async () => {
      const path = data(rt, 'old.wal');
      await writeWal(path, 3);
      const r = await run(rt, 'old-version.mjs', [path]);
      assert.is(r.code, 0, show(r));
      const out = json<Record<string, string>>(r);
      const want = rt.name === 'bun' ? 'needs bun 1.4.0 or later (this is 1.3.0)' : 'needs deno 2.8.0 or later (this is 2.7.0)';
      for (const call of ['openWal', 'verify', 'rotate', 'ship']) assert.ok(out[call]?.startsWith('ERUNTIME ') && out[call]!.includes(want), `${call}: ${out[call]}`);
    });
  }

  if (rt.name === 'deno') {
    test('deno: a missing permission is a WalError ERUNTIME at the call, naming the flags', async () => {
      const path = data(rt, 'perms.wal');
      await writeWal(path, 3);
      const as = async (flags: string[]): Promise<Record<string, string>> => {
        const r = await start(rt.bin, ['run', '--quiet', ...flags, 'perms.mjs', path], app, env).done;
        assert.is(r.code, 0, show(r));
        return json(r);
      };
      const none = await as([]);
      for (const call of ['readWal', 'verify', 'rotate', 'openWal', 'ship']) assert.match(none[call]!, /^ERUNTIME .*--allow-read/, `${call}: ${none[call]}`);
      assert.match(none.openWal!, '--allow-write --allow-env --allow-sys=hostname');
      assert.match(none.ship!, '--allow-net=127.0.0.1:4222');
      const least = await as(['--allow-read', '--allow-write', '--allow-env', '--allow-sys=hostname']);
      assert.equal({ ...least, ship: least.ship!.slice(0, 8) }, { readWal: 'ok', verify: 'ok', rotate: 'ok', openWal: 'ok', ship: 'ERUNTIME' });
    });
  }

  test(`${rt.name}: done`, () => {
    summary.push(`${rt.name} ${rt.version}: every scenario passed in ${((performance.now() - t0.at) / 1000).toFixed(1)} s (${notes.join('; ')})`);
  });
}

test.run();
