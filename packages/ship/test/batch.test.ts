// Batched messages against a real nats-server: what a message carries (body, headers,
// Nats-Msg-Id), the size limits (batch.maxBytes, the server's max_payload read from its
// INFO), and runs with different batch boundaries continuing one stream exactly once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { openWal } from '@threadwal/client';
import { readWal } from '@threadwal/maintenance';
import { ship, isShipError, HDR_ID, HDR_SEQ, HDR_LAST_SEQ, type ShipError } from '../src/index.js';
import { natsAvailable, startServer, type NatsServer } from '../src/testing.js';
import { tmpDir, appendEvents, checkStream, verdict, CLEAN } from './helpers.js';

const avail = natsAvailable();
let server: NatsServer;
let n = 0;
const uniq = (): string => `B${++n}`;

test.before(async () => { if (avail.ok) server = await startServer(tmpDir()); });
test.after(async () => { await server?.stop(); });

async function messages(url: string, stream: string): Promise<Array<{ seq: number; headers: Record<string, string>; data: Buffer }>> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const out = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = (await jsm.streams.getMessage(stream, { seq }))!;
      const headers: Record<string, string> = {};
      for (const k of m.header.keys()) headers[k] = m.header.get(k);
      out.push({ seq, headers, data: Buffer.from(m.data) });
    }
    return out;
  } finally {
    await nc.close();
  }
}

async function storedLines(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readWal(path, { raw: true })) out.push(r.line.toString());
  return out;
}

if (!avail.ok) {
  console.log(`[ship] skipped: ${avail.reason}`);
  test('nats-server missing: skipped', () => {});
} else {
  test('a batch is the stored lines as JSONL (each ending in \\n) with the WAL id, first and last seq; Nats-Msg-Id walId:first-last', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 25);
    const stream = uniq();
    const r = await ship(path, { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true, batch: { maxEvents: 10 } }).done;
    assert.is(r.messages, 3);
    const ms = await messages(server.url, stream);
    const lines = await storedLines(path);
    const walId = ms[0]!.headers[HDR_ID]!;
    assert.equal(ms.map((m) => [m.headers[HDR_SEQ], m.headers[HDR_LAST_SEQ], m.headers['Nats-Msg-Id']]), [['0', '9', `${walId}:0-9`], ['10', '19', `${walId}:10-19`], ['20', '24', `${walId}:20-24`]]);
    assert.is(ms.map((m) => m.data.toString()).join(''), lines.map((l) => `${l}\n`).join(''));
    assert.ok(ms.every((m) => m.headers['Nats-Expected-Last-Sequence'] === String(m.seq - 1)), 'each message was fenced on the one before');
  });

  test('one event per message (batch.maxEvents 1): the line without \\n, Nats-Msg-Id walId:seq, no Threadwal-Last-Seq', async () => {
    const path = join(tmpDir(), 'app.wal');
    await appendEvents(path, 3);
    const stream = uniq();
    await ship(path, { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true, batch: { maxEvents: 1 } }).done;
    const ms = await messages(server.url, stream);
    const lines = await storedLines(path);
    assert.equal(ms.map((m) => m.data.toString()), lines);
    assert.equal(ms.map((m) => [m.headers[HDR_SEQ], m.headers[HDR_LAST_SEQ], m.headers['Nats-Msg-Id']]), [0, 1, 2].map((s) => [String(s), undefined, `${ms[0]!.headers[HDR_ID]}:${s}`]));
  });

  test('batch.maxBytes cuts messages; runs with other boundaries and modes continue the stream exactly once', async () => {
    const path = join(tmpDir(), 'app.wal');
    const stream = uniq();
    const opts = { servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true };
    await appendEvents(path, 1000);
    const a = await ship(path, { ...opts, batch: { maxBytes: 4096 } }).done;
    assert.ok(a.messages > 10, `${a.messages} messages`);
    assert.ok((await messages(server.url, stream)).every((m) => m.data.length <= 4096));
    await appendEvents(path, 300, 1000);
    const b = await ship(path, { ...opts, batch: { maxEvents: 1 } }).done;
    assert.equal([b.shipped, b.messages], [300, 300]);
    await appendEvents(path, 700, 1300);
    const c = await ship(path, { ...opts, batch: { maxEvents: 333 } }).done;
    assert.equal([c.shipped, c.messages], [700, 3]);
    const check = await checkStream(server.url, stream, path);
    assert.equal(verdict(check), CLEAN);
    assert.is(check.streamEvents, 2000);
  });

  test("maxBytes is never above the server's max_payload (from its INFO); an event over it: too-large naming its seq", async () => {
    const dir = tmpDir();
    const conf = join(dir, 'small.conf');
    writeFileSync(conf, 'max_payload: 32768\n');
    const small = await startServer(dir, 'small', ['-c', conf]);
    try {
      const path = join(dir, 'app.wal');
      await appendEvents(path, 2000);
      const stream = uniq();
      const opts = { servers: small.url, stream, subject: `tw.${stream}`, createStream: true, once: true };
      const r = await ship(path, { ...opts, batch: { maxBytes: 8 * 1024 * 1024 } }).done;
      assert.is(r.shipped, 2000);
      const ms = await messages(small.url, stream);
      assert.ok(ms.every((m) => m.data.length <= 32768), 'every message within max_payload');
      assert.ok(ms.some((m) => m.data.length > 16384), 'and batches filled up to near it');
      const wal = await openWal(path);
      await wal.append({ type: 'job_started', job_id: 'big', output: 'x'.repeat(40_000) });
      await wal.close();
      let err: unknown;
      try {
        await ship(path, opts).done;
      } catch (e) {
        err = e;
      }
      assert.ok(isShipError(err, 'too-large'), String(err));
      assert.is((err as ShipError).seq, 2000);
    } finally {
      await small.stop();
    }
  });

  test('bad batch options: EINVAL', () => {
    for (const batch of [{ maxEvents: 0 }, { maxBytes: 10 }, { maxEvents: 1.5 }, 'big']) {
      let err: unknown;
      try {
        ship('x.wal', { servers: 'nats://127.0.0.1:1', stream: 'X', subject: 'tw.x', batch } as never);
      } catch (e) {
        err = e;
      }
      assert.ok(isShipError(err, 'invalid'), JSON.stringify(batch));
    }
  });
}

test.run();
