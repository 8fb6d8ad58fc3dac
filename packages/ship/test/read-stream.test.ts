// readStream: the WAL's records back from its stream, in seq order, each once, from a
// given seq, following; whatever mix of batches and single events the stream holds; and
// what it says about a stream that is not what the shipper writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { openWal } from '@threadwal/client';
import { readWal } from '@threadwal/maintenance';
import { ship, readStream, isShipError, HDR_ID, HDR_SEQ, HDR_LAST_SEQ } from '../src/index.js';
import { natsAvailable, startServer, type NatsServer } from '../src/testing.js';
import { tmpDir, appendEvents } from './helpers.js';

const avail = natsAvailable();
let server: NatsServer;
let n = 0;
const uniq = (): string => `R${++n}`;

test.before(async () => { if (avail.ok) server = await startServer(tmpDir()); });
test.after(async () => { await server?.stop(); });

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const line = (seq: number): string => `{"seq":${seq},"ts":1700000000,"type":"job_started","job_id":"j${seq}"}`;

/** Publishes a hand-made message holding WAL seqs first…last (for streams the shipper would never write). */
async function put(stream: string, first: number, last: number, id: string | null = 'w1'): Promise<void> {
  const nc = await connect({ servers: server.url });
  try {
    const h = headers();
    if (id) h.set(HDR_ID, id);
    h.set(HDR_SEQ, String(first));
    h.set(HDR_LAST_SEQ, String(last));
    let body = '';
    for (let s = first; s <= last; s++) body += `${line(s)}\n`;
    await jetstream(nc).publish(`tw.${stream}`, body, { headers: h });
  } finally {
    await nc.close();
  }
}

async function makeStream(stream: string): Promise<void> {
  const nc = await connect({ servers: server.url });
  try {
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`tw.${stream}`] });
  } finally {
    await nc.close();
  }
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
  test('nats-server missing: skipped', () => {});
} else {
  test('the records readWal reads, from a stream of batches then single events then batches; fromSeq inside a batch', async () => {
    const path = join(tmpDir(), 'app.wal');
    const stream = uniq();
    const opts = { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true };
    await appendEvents(path, 400);
    await ship(path, { ...opts, batch: { maxEvents: 37 } }).done;
    await appendEvents(path, 50, 400);
    await ship(path, { ...opts, batch: false }).done;
    await appendEvents(path, 550, 450);
    await ship(path, opts).done;
    const wal = await all(readWal(path));
    const r = readStream({ servers: server.url, stream });
    assert.equal(await all(r), wal);
    assert.is(r.duplicates, 0);
    assert.ok(r.messages > 60);
    for (const from of [0, 1, 36, 37, 420, 449, 450, 999]) {
      assert.equal((await all(readStream({ servers: server.url, stream, fromSeq: from }))).map((x) => x.seq), wal.slice(from).map((x) => x.seq), `fromSeq ${from}`);
    }
    assert.equal(await all(readStream({ servers: server.url, stream, fromSeq: 1000 })), []);
    const raw = await all(readStream({ servers: server.url, stream, raw: true, fromSeq: 998 }));
    assert.equal(raw.map((l) => [l.seq, Buffer.from(l.line).toString()]), (await all(readWal(path, { raw: true, fromSeq: 998 }))).map((l) => [l.seq, l.line.toString()]));
  });

  test('follow: waits for the stream to exist, then yields what the shipper ships as it ships it, until aborted', async () => {
    const path = join(tmpDir(), 'app.wal');
    const stream = uniq();
    const opts = { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true };
    await appendEvents(path, 10);
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 20_000);
    const got: number[] = [];
    const reading = (async () => {
      for await (const rec of readStream({ servers: server.url, stream, follow: true, signal: ac.signal })) {
        got.push(rec.seq);
        if (got.length === 10) {
          await appendEvents(path, 20, 10);
          await ship(path, { ...opts, batch: { maxEvents: 3 } }).done;
        }
        if (got.length === 30) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 300)); // the reader is waiting for the stream
    await ship(path, opts).done;
    await reading;
    clearTimeout(guard);
    assert.equal(got, Array.from({ length: 30 }, (_, i) => i));
  });

  test('records come back as readWal gives them from a WAL with checksums (field checked and dropped); raw keeps the stored line', async () => {
    const path = join(tmpDir(), 'app.wal');
    const wal = await openWal<string>(path, { checksum: 'crc32c' } as never);
    for (let i = 0; i < 5; i++) await wal.append({ type: 'job_started', job_id: `c${i}` } as never);
    await wal.close();
    const stream = uniq();
    await ship(path, { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true }).done;
    assert.equal(await all(readStream({ servers: server.url, stream })), await all(readWal(path)));
    const raw = await all(readStream({ servers: server.url, stream, raw: true }));
    assert.ok(raw.every((l) => /"crc32c":"[0-9a-f]{8}"\}$/.test(Buffer.from(l.line).toString())));
  });

  test('an overlapping message: its seqs met again are skipped and counted; a hole: ShipError gap; no Threadwal-Id: foreign-writer', async () => {
    const over = uniq();
    await makeStream(over);
    await put(over, 0, 4);
    await put(over, 3, 7);
    const r = readStream({ servers: server.url, stream: over, raw: true });
    assert.equal((await all(r)).map((l) => l.seq), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.is(r.duplicates, 2);

    const hole = uniq();
    await makeStream(hole);
    await put(hole, 0, 4);
    await put(hole, 6, 7);
    const seen: number[] = [];
    const err = await failure((async () => { for await (const l of readStream({ servers: server.url, stream: hole, raw: true })) seen.push(l.seq); })());
    assert.ok(isShipError(err, 'gap'), String(err));
    assert.is((err as { seq?: number }).seq, 5);
    assert.equal(seen, [0, 1, 2, 3, 4]);

    const foreign = uniq();
    await makeStream(foreign);
    await put(foreign, 0, 1);
    await put(foreign, 2, 3, null);
    assert.ok(isShipError(await failure(all(readStream({ servers: server.url, stream: foreign }))), 'foreign-writer'));
    const other = uniq();
    await makeStream(other);
    await put(other, 0, 1);
    await put(other, 2, 3, 'w2');
    assert.ok(isShipError(await failure(all(readStream({ servers: server.url, stream: other }))), 'foreign-writer'));
  });

  test('a stream of large batches is read back in pulls the server can deliver: no slow-consumer cut', async () => {
    // A server whose per-connection buffer (max_pending) is 6 MB: 100 messages of 128 KiB
    // (the client's default pull) would overrun it, and the server would cut the reader as a
    // slow consumer (the ordered consumer then stalled ~30 s, or for good).
    const dir = tmpDir();
    const conf = join(dir, 'small-pending.conf');
    writeFileSync(conf, 'max_pending: 6MB\n');
    const small = await startServer(dir, 'pending', ['-c', conf]);
    try {
      const path = join(dir, 'big.wal');
      const wal = await openWal(path);
      const pad = 'p'.repeat(180);
      for (let i = 0; i < 60_000; i++) wal.appendNoWait({ type: 'job_started', job_id: `j${i}`, pad });
      await wal.close();
      const stream = uniq();
      const r = await ship(path, { servers: small.url, stream, subject: `tw.${stream}`, createStream: true, once: true, serverSyncIntervalMs: 0, batch: { maxBytes: 128 * 1024 } }).done;
      assert.ok(r.messages > 100, `${r.messages} messages: too few to overrun the buffer`);
      let n = 0;
      let next = 0;
      // (A liveness guard, not a speed check: with 100 messages a pull the read never ended.)
      for await (const l of readStream({ servers: small.url, stream, signal: AbortSignal.timeout(60_000) })) {
        assert.is(l.seq, next++);
        n++;
      }
      assert.is(n, 60_000, 'the read back stalled');
      const varz = await (await fetch(`http://127.0.0.1:${small.httpPort}/varz`)).json() as { slow_consumers: number };
      assert.is(varz.slow_consumers, 0, 'the server cut a reader as a slow consumer');
    } finally {
      await small.stop();
    }
  });

  test('bad options: ShipError invalid', () => {
    for (const o of [{}, { stream: 'X' }, { stream: 'X', servers: 'nats://127.0.0.1:1', fromSeq: -1 }]) {
      let err: unknown;
      try {
        readStream(o as never);
      } catch (e) {
        err = e;
      }
      assert.ok(isShipError(err, 'invalid'), JSON.stringify(o));
    }
  });
}

test.run();
