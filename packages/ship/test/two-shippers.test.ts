// Two shippers of one WAL and stream at once, past a 100 ms duplicate window (the sequence
// fence alone), batched (small batches each shipper cuts differently) and one event per
// message: every WAL seq exactly once, in order. With two batches in flight instead of one
// this fails with a hole (docs/DESIGN.md, "Exactly once with batches").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readWalId } from '@threadwal/core';
import { natsAvailable, startServer, type NatsServer } from '../src/testing.js';
import { tmpDir, checkStream, report, size, verdict, CLEAN, until, MODES } from './helpers.js';
import { startProc, startShipper, sigterm, sleep, type Proc } from './procs.js';

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
  for (const mode of MODES) test(`${mode.name}: two shippers at once with a 100 ms duplicate window (the sequence fence alone): each seq once`, async () => {
    const path = join(tmpDir(), 'app.wal');
    const stream = `TWO_${mode.name}`;
    // Small batches, so that the two shippers' batch boundaries differ and their messages race.
    const opts = { path, servers: server.url, stream, subject: `tw.two.${mode.name}`, createStream: true, duplicateWindowMs: 100, window: 64, batch: mode.batch ?? { maxEvents: 7 } };
    const apps = await appenders(path, 1, 2000);
    const a = startShipper({ ...opts, name: 'a' });
    await sleep(300);
    const b = startShipper({ ...opts, name: 'b' });
    await sleep(size(3000, 15000));
    await stopAll(apps);
    await sleep(500);
    const [ra, rb] = await Promise.all([sigterm(a), sigterm(b)]);
    assert.is(ra.code, 0, a.err);
    assert.is(rb.code, 0, b.err);
    const sa = JSON.parse(a.out.trim()) as Record<string, number>;
    const sb = JSON.parse(b.out.trim()) as Record<string, number>;
    await finalOnce({ ...opts, name: 'a' });
    const c = await checkStream(server.url, stream, path);
    assert.equal(verdict(c), CLEAN);
    assert.is(c.streamEvents, c.walEvents);
    report(`two-shippers ${mode.name}`, { messagesA: sa.messages!, messagesB: sb.messages!, events: c.walEvents, reconcilesA: sa.reconciles!, reconcilesB: sb.reconciles!, duplicateAcks: sa.duplicates! + sb.duplicates!, duplicates: c.duplicates, gaps: c.gaps });
  });
}

test.run();
