// ship() against a real nats-server: the happy path at size, and every way it must stop
// with a typed error rather than lose or duplicate an event.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { openWal } from '@threadwal/client';
import { cleanup, rotate } from '@threadwal/maintenance';
import { ship, isShipError, checkpointPath, shippedThrough, type ShipError } from '../src/index.js';
import { natsAvailable, startServer, freePort, type NatsServer } from './nats.js';
import { tmpDir, appendEvents, checkStream, report, size } from './helpers.js';

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
  const shipper = ship(path, { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true, ...extra });
  return { stream, result: await shipper.done };
}

async function failure(p: Promise<unknown>): Promise<ShipError> {
  try {
    await p;
  } catch (err) {
    if (isShipError(err)) return err;
    throw err;
  }
  throw new Error('expected a ShipError');
}

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
  test('nats-server missing: skipped', () => {});
} else {
  test('ships every event once, in order, across rotated segments; the checkpoint says so', async () => {
    const path = join(tmpDir(), 'app.wal');
    const N = size(100_000, 100_000);
    await appendEvents(path, N / 2);
    await rotate(path, 0, 10);
    await appendEvents(path, N / 2, N / 2);
    const t0 = Date.now();
    const { stream, result } = await shipOnce(path);
    const ms = Date.now() - t0;
    assert.is(result.ackedSeq, N - 1);
    assert.is(result.shipped, N);
    assert.is(result.duplicates, 0);
    const c = await checkStream(server.url, stream, path);
    assert.equal(c, { walEvents: N, streamMessages: N, duplicates: 0, gaps: 0, outOfOrder: 0, mismatched: 0, firstProblem: null });
    assert.is(await shippedThrough(path), N - 1);
    const ck = JSON.parse(readFileSync(checkpointPath(path, 'ship'), 'utf8')) as { ackedSeq: number; base: number; stream: string };
    assert.equal([ck.ackedSeq, ck.base, ck.stream], [N - 1, 0, stream]);
    report('100k', { events: N, shipped: result.shipped, duplicates: c.duplicates, gaps: c.gaps, ms });
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
    assert.is(c.streamMessages, 80);
    assert.is(c.firstProblem, null);
  });
}

test.run();
