// Server-side durability: nats-server 2.9 acks before it fsyncs (every 2 minutes), so a
// power cut can take acknowledged events. Simulated here: the server is killed and its store
// directory put back as it was before the last acks. The committed cursor (retention's
// untilCommitted) passes an event only serverSyncIntervalMs after its ack, so retention kept
// those events and the shipper ships them again: no gap, no duplicate. With an interval of
// 0 retention deletes them at once and the shipper stops with a gap: what the option is for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { cpSync, rmSync, renameSync, existsSync } from 'node:fs';
import { rotate, readCursor } from '@threadwal/maintenance';
import { ship, readStream, isShipError, shippedThrough, type ShipError } from '../src/index.js';
import { natsAvailable, startServer } from '../src/testing.js';
import { tmpDir, appendEvents, checkStream, report, until, verdict, CLEAN } from './helpers.js';

const avail = natsAvailable();
const SYNC_MS = 4000;
/** Retention as an app would run it: keep no rotated segment the ship cursor has not passed. */
const RETAIN = { retention: { maxSegments: 0, retain: { untilCommitted: ['ship'] } } };

async function lossAfterAcks(syncMs: number): Promise<{ result: unknown; path: string; url: string; stop(): Promise<void>; serverLost: number; cursorBeforeLoss: number }> {
  const dir = tmpDir();
  const server = await startServer(dir);
  const store = join(dir, 'js-n1');
  const path = join(dir, 'app.wal');
  await appendEvents(path, 1000); // seqs 0…999
  const sh = ship(path, { servers: server.url, stream: 'DUR', subject: 'tw.dur', createStream: true, serverSyncIntervalMs: syncMs, checkpointEveryMs: 50, pollMs: 10, timeoutMs: 1000, backoff: { initialMs: 50, maxMs: 200 } });
  const result = sh.done.catch((err: unknown) => err);
  // 0…999 acknowledged and, after the interval, durable: the cursor passes them and retention deletes their segment.
  await until(() => sh.status().ackedSeq === 999 && sh.status().durableSeq === 999, 'the first events to be durable', 60_000);
  assert.is((await rotate(path, 0, 1000, RETAIN)).retention?.deletedSegments, 1);
  // The server's files as they are on disk now: what a power cut would leave after the next acks.
  await server.kill();
  cpSync(store, `${store}.synced`, { recursive: true });
  await server.start();
  await appendEvents(path, 1000, 1000); // seqs 1000…1999
  await until(() => sh.status().ackedSeq === 1999 && sh.status().committedSeq === 1999, 'the next events to be acknowledged and checkpointed', 60_000);
  const cursorBeforeLoss = await readCursor(path, 'ship');
  await rotate(path, 0, 1000, RETAIN);
  // The power cut: the server comes back without what it had not synced.
  await server.kill();
  rmSync(store, { recursive: true, force: true });
  renameSync(`${store}.synced`, store);
  await server.start();
  return {
    result, path, url: server.url, cursorBeforeLoss,
    get serverLost() { return sh.status().serverLost; },
    stop: async () => { await sh.stop().catch(() => undefined); await server.stop(); },
  } as never;
}

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
  test('nats-server missing: skipped', () => {});
} else {
  test(`serverSyncIntervalMs ${SYNC_MS}: the server loses its unsynced acks; retention kept them, the shipper ships them again, no gap, no duplicate`, async () => {
    const t = await lossAfterAcks(SYNC_MS);
    try {
      assert.is(t.cursorBeforeLoss, 999, 'the cursor had not passed the events acknowledged less than the interval ago');
      assert.ok(existsSync(`${t.path}.1`), 'retention kept their segment');
      await until(async () => (await checkStream(t.url, 'DUR', t.path).catch(() => ({ streamEvents: 0 }))).streamEvents === 2000, 'the lost events to be shipped again', 60_000);
      const seqs: number[] = [];
      const r = readStream({ servers: t.url, stream: 'DUR', raw: true });
      for await (const l of r) seqs.push(l.seq);
      assert.equal(seqs, Array.from({ length: 2000 }, (_, i) => i));
      assert.is(r.duplicates, 0);
      assert.equal(verdict(await checkStream(t.url, 'DUR', t.path)), CLEAN);
      assert.ok(t.serverLost >= 1, 'the shipper saw the stream behind its acks');
      await until(async () => (await shippedThrough(t.path)) === 1999, 'the re-shipped events to become durable in their turn', 60_000);
      report('durability', { syncMs: SYNC_MS, lostAndReshipped: 1000, serverLost: t.serverLost, duplicates: r.duplicates });
    } finally {
      await t.stop();
    }
  });

  test('serverSyncIntervalMs 0 (a server that syncs every write) against that loss: retention deleted the events, the shipper stops with a gap', async () => {
    const t = await lossAfterAcks(0);
    try {
      assert.is(t.cursorBeforeLoss, 1999);
      const err = (await Promise.race([t.result, new Promise((r) => setTimeout(() => r('still running'), 30_000))])) as ShipError;
      assert.ok(isShipError(err, 'gap'), String(err));
      assert.is(err.seq, 1000);
    } finally {
      await t.stop();
    }
  });
}

test.run();
