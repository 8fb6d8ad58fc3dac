// SIGKILL the shipper at random moments while 4 appender processes write one WAL and
// rotation runs, batched and one event per message (two shippers at once are in
// two-shippers.test.ts). Every WAL seq must be in the stream exactly once, in order, byte
// for byte.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rotate } from '@threadwal/maintenance';
import { readWalId } from '@threadwal/core';
import { natsAvailable, startServer, type NatsServer } from '../src/testing.js';
import { tmpDir, checkStream, report, size, verdict, CLEAN, until, MODES } from './helpers.js';
import { startProc, startShipper, started, sigkill, sigterm, sleep, prng, type Proc } from './procs.js';

const avail = natsAvailable();
let server: NatsServer;
test.before(async () => { if (avail.ok) server = await startServer(tmpDir()); });
test.after(async () => { await server?.stop(); });

async function appenders(path: string, n: number, rate: number): Promise<Proc[]> {
  const ps = Array.from({ length: n }, (_, k) => startProc('appender', [path, `p${k}`, String(rate)]));
  await until(() => readWalId(path) !== undefined, 'the appenders to open the WAL');
  return ps;
}

async function stopAll(ps: Proc[]): Promise<void> {
  for (const r of await Promise.all(ps.map(sigterm))) assert.is(r.code, 0, `appender exited ${r.code ?? r.signal}`);
}

/** Rotates `path` every ~`every` ms (keeping everything) until stopped; returns the count. */
function rotator(path: string, every: number): { stop(): Promise<number> } {
  let on = true;
  let count = 0;
  const loop = (async () => {
    while (on) {
      await sleep(every);
      if (!on) break;
      await rotate(path, 0, 100_000);
      count += 1;
    }
  })();
  return { stop: async () => { on = false; await loop; return count; } };
}

async function finalOnce(opts: Record<string, unknown>): Promise<Record<string, number>> {
  const sh = startShipper({ ...opts, once: true });
  const r = await sh.exited;
  assert.is(r.code, 0, `final shipper: ${sh.err}`);
  return JSON.parse(sh.out.trim().split('\n').pop()!) as Record<string, number>;
}

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
  test('nats-server missing: skipped', () => {});
} else {
  for (const mode of MODES) test(`${mode.name}: SIGKILL the shipper >= 20 times while 4 processes append and rotation runs: each seq once, in order`, async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 100000);
    const rnd = prng(seed);
    const path = join(tmpDir(), 'shared.wal');
    const stream = `KILL_${mode.name}`;
    const opts = { path, servers: server.url, stream, subject: `tw.kill.${mode.name}`, createStream: true, window: 256, batch: mode.batch };
    const apps = await appenders(path, 4, 500);
    const rot = rotator(path, 400);
    const KILLS = size(20, 60);
    let kills = 0;
    let lastAcked = -1;
    while (kills < KILLS) {
      const sh = startShipper(opts);
      // From the moment it is loaded: some kills land while it connects or reconciles, most mid-flight.
      await started(sh);
      await sleep(rnd.int(50, 800));
      await sigkill(sh);
      kills += 1;
      assert.ok(!sh.err.includes('ERROR'), sh.err);
    }
    const rotations = await rot.stop();
    await stopAll(apps);
    const last = await finalOnce(opts);
    lastAcked = last.ackedSeq!;
    const c = await checkStream(server.url, stream, path);
    assert.equal(verdict(c), CLEAN);
    assert.is(c.streamEvents, c.walEvents);
    assert.is(lastAcked, c.walEvents - 1);
    assert.ok(rotations > 0);
    assert.ok(last.shipped! < c.walEvents, 'the killed shippers shipped some of it: the kills landed mid-flight');
    report(`kill-shipper ${mode.name}`, { seed, kills, rotations, events: c.walEvents, streamMessages: c.streamMessages, duplicates: c.duplicates, gaps: c.gaps, shippedByFinalRun: last.shipped!, finalDuplicateAcks: last.duplicates! });
  });
}

test.run();
