// ship() against a real nats-server: the happy path at size, and every way it must stop
// with a typed error rather than lose or duplicate an event.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { openWal } from '@threadwal/client';
import { rotate, readCursor } from '@threadwal/maintenance';
import { ship, isShipError, checkpointPath, shippedThrough, type ShipError } from '../src/index.js';
import { natsAvailable, startServer, freePort, type NatsServer } from '../src/testing.js';
import { tmpDir, appendEvents, checkStream, report, size, MODES, shipFailure as failure } from './helpers.js';

const avail = natsAvailable();
let server: NatsServer;
let n = 0;
const uniq = (): string => `S${++n}`;

test.before(async () => {
  if (!avail.ok) return;
  server = await startServer(tmpDir());
});
test.after(async () => { await server?.stop(); });

async function shipOnce(path: string, extra: Record<string, unknown> = {}) {
  const stream = uniq();
  const shipper = ship(path, { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true, serverSyncIntervalMs: 0, ...extra });
  return { stream, result: await shipper.done };
}

async function withJsm(fn: (jsm: Awaited<ReturnType<typeof jetstreamManager>>, nc: Awaited<ReturnType<typeof connect>>) => Promise<void>): Promise<void> {
  const nc = await connect({ servers: server.url });
  try {
    await fn(await jetstreamManager(nc), nc);
  } finally {
    await nc.close();
  }
}

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
  test('nats-server missing: skipped', () => {});
} else {
  for (const mode of MODES) test(`${mode.name}: ships every event once, in order, across rotated segments; the checkpoint says so`, async () => {
    const path = join(tmpDir(), 'app.wal');
    const N = size(100_000, 100_000);
    await appendEvents(path, N / 2);
    await rotate(path, 0, 10);
    await appendEvents(path, N / 2, N / 2);
    const t0 = Date.now();
    const { stream, result } = await shipOnce(path, { batch: mode.batch });
    const ms = Date.now() - t0;
    assert.is(result.ackedSeq, N - 1);
    // result.shipped counts acks: a retry after a timeout (a loaded machine) acks some twice, as duplicates.
    assert.is(result.shipped - result.duplicates, N);
    const c = await checkStream(server.url, stream, path);
    assert.equal({ ...c, streamMessages: undefined }, { walEvents: N, streamEvents: N, streamMessages: undefined, duplicates: 0, gaps: 0, outOfOrder: 0, mismatched: 0, firstProblem: null });
    assert.is(await shippedThrough(path), N - 1);
    assert.is(await readCursor(path, 'ship'), N - 1, "the maintenance cursor retention waits for says the same");
    const ck = JSON.parse(readFileSync(checkpointPath(path, 'ship'), 'utf8')) as { ackedSeq: number; base: number; stream: string };
    assert.equal([ck.ackedSeq, ck.base, ck.stream], [N - 1, 0, stream]);
    if (mode.batch) assert.is(result.messages, result.shipped, 'one event per message');
    else assert.ok(result.messages * 100 < result.shipped, `batches: ${result.messages} messages for ${result.shipped} events`);
    report(`100k ${mode.name}`, { events: N, messages: result.messages, acks: result.shipped, duplicateAcks: result.duplicates, retries: result.retries, duplicates: c.duplicates, gaps: c.gaps, ms });
  });

  test('a second run ships only what is new, continuing the stream', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 50);
    const { stream } = await shipOnce(path);
    await appendEvents(path, 30, 50);
    const again = await ship(path, { servers: server.url, stream, subject: `tw.${stream}`, once: true }).done;
    assert.is(again.shipped, 30);
    assert.is(again.ackedSeq, 79);
    const c = await checkStream(server.url, stream, path);
    assert.is(c.streamEvents, 80);
    assert.is(c.firstProblem, null);
  });
  test('by default (nats-server 2.9 syncs every 2 min) the cursor retention waits for does not pass what was just acked', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 50);
    const { result } = await shipOnce(path, { serverSyncIntervalMs: undefined });
    assert.equal([result.ackedSeq, result.committedSeq, result.durableSeq], [49, 49, -1]);
    assert.is(await readCursor(path, 'ship'), -1);
    assert.is(await shippedThrough(path), -1);
    const ck = JSON.parse(readFileSync(checkpointPath(path, 'ship'), 'utf8')) as { ackedSeq: number; durableSeq: number };
    assert.equal([ck.ackedSeq, ck.durableSeq], [49, -1]);
  });

  test('stream missing (no createStream): ShipError stream-missing, nothing published', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 3);
    const e = await failure(ship(path, { servers: server.url, stream: 'NOPE', subject: 'tw.nope', once: true }).done);
    assert.is(e.code, 'ESHIP');
    assert.is(e.reason, 'stream-missing');
    assert.match(e.message, /stream NOPE not found/);
    assert.not.ok(existsSync(checkpointPath(path, 'ship')));
  });

  test('subject not bound by the stream: ShipError subject-unbound', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 3);
    const stream = uniq();
    await withJsm(async (jsm) => { await jsm.streams.add({ name: stream, subjects: [`other.${stream}`] }); });
    const e = await failure(ship(path, { servers: server.url, stream, subject: `tw.${stream}`, once: true }).done);
    assert.is(e.reason, 'subject-unbound');
    assert.match(e.message, new RegExp(`not bound by stream ${stream}`));
  });

  test('an event over the stream max_msg_size: ShipError too-large naming its seq; the ones before it are shipped', async () => {
    const path = join(tmpDir(), 'app.wal');
    const wal = await openWal(path);
    await Promise.all([wal.append({ type: 'job_started', job_id: 'small' }), wal.append({ type: 'job_started', job_id: 'small' }), wal.append({ type: 'job_started', job_id: 'big', output: 'x'.repeat(5000) })]);
    await wal.close();
    const stream = uniq();
    await withJsm(async (jsm) => { await jsm.streams.add({ name: stream, subjects: [`tw.${stream}`], max_msg_size: 2000 }); });
    const e = await failure(ship(path, { servers: server.url, stream, subject: `tw.${stream}`, once: true, serverSyncIntervalMs: 0 }).done);
    assert.is(e.reason, 'too-large');
    assert.is(e.seq, 2);
    assert.match(e.message, /WAL seq 2/);
    assert.is(await shippedThrough(path), 1, 'the checkpoint holds what was acked before the error');
  });

  test('a foreign message in the stream: ShipError foreign-writer, never an overwrite or a skip', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 5);
    const { stream } = await shipOnce(path);
    await withJsm(async (_jsm, nc) => { await jetstream(nc).publish(`tw.${stream}`, 'not ours'); });
    await appendEvents(path, 5, 5);
    const e = await failure(ship(path, { servers: server.url, stream, subject: `tw.${stream}`, once: true }).done);
    assert.is(e.reason, 'foreign-writer');
    assert.match(e.message, /seq 2 is not an event of this WAL/, 'the five events went as one batch (stream seq 1), the foreign message is seq 2');
  });

  test('retention deleted events before they were shipped: ShipError gap naming the first missing seq', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 10);
    const { stream } = await shipOnce(path);
    await appendEvents(path, 10, 10); // seqs 10..19, then dropped unshipped
    await rotate(path, 0, 0);
    await appendEvents(path, 5, 20); // seqs 20..24
    const e = await failure(ship(path, { servers: server.url, stream, subject: `tw.${stream}`, once: true }).done);
    assert.is(e.reason, 'gap');
    assert.is(e.seq, 10);
    assert.match(e.message, /WAL seqs 10…19 are gone/);
    const c = await checkStream(server.url, stream, path);
    assert.is(c.streamEvents, 10, 'nothing after the gap was published');
  });

  test('the stream deleted while the checkpoint says it held our events: stream-missing even with createStream', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 4);
    const { stream } = await shipOnce(path);
    await withJsm(async (jsm) => { await jsm.streams.delete(stream); });
    const e = await failure(ship(path, { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true }).done);
    assert.is(e.reason, 'stream-missing');
    assert.match(e.message, /checkpoint says it held/);
  });

  test('an unreachable server: ShipError unreachable after connectTimeoutMs', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 1);
    const port = await freePort();
    const e = await failure(ship(path, { servers: `nats://127.0.0.1:${port}`, stream: 'X', subject: 'tw.x', once: true, connectTimeoutMs: 300, backoff: { initialMs: 20, maxMs: 50 } }).done);
    assert.is(e.reason, 'unreachable');
    assert.match(e.message, new RegExp(`cannot reach a NATS server at nats://127.0.0.1:${port}`));
  });

  test('bad credentials: ShipError auth at once', async () => {
    const dir = tmpDir();
    const authed = await startServer(dir, 'auth', ['--user', 'u', '--pass', 'right']);
    try {
      const path = join(dir, 'app.wal');
      await appendEvents(path, 1);
      const e = await failure(ship(path, { servers: authed.url, stream: 'X', subject: 'tw.x', once: true, connectOptions: { user: 'u', pass: 'wrong' } }).done);
      assert.is(e.reason, 'auth');
      assert.match(e.message, /authorization failed/);
    } finally {
      await authed.stop();
    }
  });

  test('credentials in a server URL never reach an error message (auth failure, unreachable server)', async () => {
    const dir = tmpDir();
    const authed = await startServer(dir, 'auth2', ['--user', 'u', '--pass', 'right']);
    try {
      const path = join(dir, 'app.wal');
      await appendEvents(path, 1);
      const wrong = authed.url.replace('nats://', 'nats://u:s3cret-pw@');
      const e = await failure(ship(path, { servers: wrong, stream: 'X', subject: 'tw.x', once: true }).done);
      assert.is(e.reason, 'auth');
      assert.not.match(e.message, 's3cret-pw');
      assert.match(e.message, 'nats://***@');
      const port = await freePort();
      const u = await failure(ship(path, { servers: `nats://u:s3cret-pw@127.0.0.1:${port}`, stream: 'X', subject: 'tw.x', once: true, connectTimeoutMs: 300, backoff: { initialMs: 20, maxMs: 50 } }).done);
      assert.is(u.reason, 'unreachable');
      assert.not.match(u.message, 's3cret-pw');
    } finally {
      await authed.stop();
    }
  });

  test('a WAL with no id (never opened by a writer): ShipError wal-mismatch; bad options: EINVAL', async () => {
    const path = join(tmpDir(), 'app.wal');
    const e = await failure(ship(path, { servers: server.url, stream: 'X', subject: 'tw.x', once: true }).done);
    assert.is(e.reason, 'wal-mismatch');
    for (const bad of [{ stream: 'a.b' }, { subject: 'tw.*' }, { window: 0 }, { servers: [] }, { duplicateWindowMs: 50 }, { name: '../x' }]) {
      let err: unknown;
      try {
        ship(path, { servers: server.url, stream: 'X', subject: 'tw.x', ...bad } as never);
      } catch (x) {
        err = x;
      }
      assert.ok(isShipError(err, 'invalid'), JSON.stringify(bad));
      assert.is((err as ShipError).code, 'EINVAL');
    }
  });

  test('stop() drains what is in flight and commits the checkpoint; a restart goes on from the stream', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 20_000);
    const stream = uniq();
    const sh = ship(path, { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, window: 512, serverSyncIntervalMs: 0, batch: { maxEvents: 100 } });
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (sh.status().ackedSeq > 1000) { clearInterval(t); resolve(); } }, 5); });
    const r = await sh.stop();
    assert.is(r.inFlight, 0, 'nothing left in flight');
    assert.is(r.committedSeq, r.ackedSeq, 'the checkpoint holds the last ack');
    assert.is(await shippedThrough(path), r.ackedSeq);
    const again = await ship(path, { servers: server.url, stream, subject: `tw.${stream}`, once: true }).done;
    assert.is(again.shipped - again.duplicates, 20_000 - (r.ackedSeq + 1));
    const c = await checkStream(server.url, stream, path);
    assert.is(c.firstProblem, null);
    assert.is(c.streamEvents, 20_000);
  });
}

test.run();
