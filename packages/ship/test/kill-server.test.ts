// SIGKILL and restart nats-server while shipping (the shipper retries with backoff, the WAL
// keeps accepting, lag grows and then drains), and an outage of the server and of the
// shipper longer than the stream's duplicate window (100 ms): each seq once, in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readWalId } from '@threadwal/core';
import { ship, type ShipStatus } from '../src/index.js';
import { natsAvailable, startServer, type NatsServer } from '../src/testing.js';
import { tmpDir, checkStream, report, size, verdict, CLEAN, until, lastWalSeq, MODES } from './helpers.js';
import { startProc, startShipper, sigkill, sigterm, sleep, prng, type Proc } from './procs.js';

const avail = natsAvailable();

async function appender(path: string, rate: number): Promise<Proc> {
  const p = startProc('appender', [path, 'app', String(rate)]);
  await until(() => readWalId(path) !== undefined, 'the appender to open the WAL');
  return p;
}

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
  test('nats-server missing: skipped', () => {});
} else {
  for (const mode of MODES) test(`${mode.name}: SIGKILL + restart the server during shipping: backoff, the WAL keeps accepting, lag shows, then each seq once`, async () => {
    const dir = tmpDir();
    const server = await startServer(dir);
    const rnd = prng(Number(process.env.SEED ?? Date.now() % 100000));
    const path = join(dir, 'app.wal');
    const app = await appender(path, 1000);
    const states: ShipStatus[] = [];
    const shipper = ship(path, { servers: server.url, stream: 'SRV', subject: 'tw.srv', createStream: true, window: 256, batch: mode.batch, serverSyncIntervalMs: 0, timeoutMs: 1000, backoff: { initialMs: 50, maxMs: 500 }, onStatus: (s) => { states.push(s); if (process.env.SHIP_DEBUG) console.error(JSON.stringify(s)); } });
    const KILLS = size(3, 10);
    let maxLag = 0;
    let walGrewWhileDown = 0;
    for (let k = 0; k < KILLS; k++) {
      await sleep(rnd.int(500, 1500));
      await server.kill();
      const before = await lastWalSeq(path);
      await sleep(rnd.int(500, 1200));
      const during = await lastWalSeq(path);
      if (during > before) walGrewWhileDown += 1;
      maxLag = Math.max(maxLag, shipper.status().lagEvents);
      await server.start();
    }
    const r = await sigterm(app);
    assert.is(r.code, 0, app.err);
    const last = await lastWalSeq(path);
    await until(() => shipper.status().ackedSeq === last, 'the shipper to catch up', 60_000);
    const final = await shipper.stop();
    const c = await checkStream(server.url, 'SRV', path);
    await server.stop();
    assert.equal(verdict(c), CLEAN);
    assert.is(c.streamEvents, c.walEvents);
    assert.is(walGrewWhileDown, KILLS, 'appends went on while the server was down');
    assert.ok(maxLag > 0, 'lag was visible while the server was down');
    assert.ok(states.some((s) => !s.connected), 'status showed the connection down');
    assert.ok(final.retries >= KILLS, `retried (${final.retries})`);
    assert.is(final.committedSeq, last, 'the checkpoint was committed on stop');
    report(`kill-server ${mode.name}`, { messages: final.messages, serverKills: KILLS, events: c.walEvents, maxLag, retries: final.retries, reconnects: final.reconnects, duplicateAcks: final.duplicates, duplicates: c.duplicates, gaps: c.gaps });
  });

  for (const mode of MODES) test(`${mode.name}: outages of the server and of the shipper longer than a 100 ms duplicate window: each seq once`, async () => {
    const dir = tmpDir();
    const server = await startServer(dir);
    const path = join(dir, 'app.wal');
    const app = await appender(path, 1000);
    const opts = { path, servers: server.url, stream: 'WIN', subject: 'tw.win', createStream: true, duplicateWindowMs: 100, window: 512, timeoutMs: 1000, backoff: { initialMs: 50, maxMs: 300 }, batch: mode.batch };
    const ROUNDS = size(3, 10);
    let sh = startShipper(opts);
    for (let k = 0; k < ROUNDS; k++) {
      await sleep(800);
      await sigkill(sh); // acks in flight are lost with it
      await sleep(400); // > the duplicate window: every msg id has expired
      sh = startShipper(opts);
      await sleep(800);
      await server.kill();
      await sleep(400);
      await server.start();
    }
    const r = await sigterm(app);
    assert.is(r.code, 0, app.err);
    const rs = await sigterm(sh);
    assert.is(rs.code, 0, sh.err);
    const fin = startShipper({ ...opts, once: true });
    assert.is((await fin.exited).code, 0, fin.err);
    const c = await checkStream(server.url, 'WIN', path);
    await server.stop();
    assert.equal(verdict(c), CLEAN);
    assert.is(c.streamEvents, c.walEvents);
    report(`outage-past-dup-window ${mode.name}`, { rounds: ROUNDS, shipperKills: ROUNDS, serverKills: ROUNDS, events: c.walEvents, duplicates: c.duplicates, gaps: c.gaps });
  });
}

test.run();
