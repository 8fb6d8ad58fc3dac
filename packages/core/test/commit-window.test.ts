// Issue 21: the writer's commit window (commitWindowMs) and the buffers its acks hand back,
// through the raw data-port protocol. The windows here are long (1 s) so that a slow machine
// can only make a wait look longer, never make a batch skip one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { openWriter, type WriterHost } from '../src/writer/writer.js';
import { encodeBody } from '../src/format/format.js';
import type { WriterOptions } from '../src/options.js';
import type { AckMsg, BatchMsg, FromWriterData } from '../src/protocol.js';
import { tmpDir, ev, within, MAX } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A client of the raw protocol: posts batches, records every ack. */
class Raw {
  readonly port: MessagePort;
  readonly acks: AckMsg[] = [];
  readonly #acked = new Map<number, () => void>();
  #nextId = 1;

  constructor(port: MessagePort) {
    this.port = port;
    port.on('message', (m: FromWriterData) => {
      if (m.type !== 'ack') return;
      this.acks.push(m);
      for (let id = m.id - (m.n ?? 1) + 1; id <= m.id; id++) this.#acked.get(id)?.();
    });
  }

  static async connect(host: WriterHost): Promise<Raw> {
    return new Raw((await host.connect()).port);
  }

  /** Posts one event as a batch; resolves when it is acked. `room`: unused bytes after it. */
  post(i: number, urgent = false, room = 64): { id: number; acked: Promise<void>; bytes: number } {
    const id = this.#nextId++;
    const body = Buffer.from(encodeBody(ev(i), MAX));
    const buf = new ArrayBuffer(body.length + room);
    new Uint8Array(buf).set(body);
    const acked = new Promise<void>((r) => this.#acked.set(id, r));
    const msg: BatchMsg = { type: 'batch', id, buf, len: body.length, count: 1 };
    if (urgent) msg.urgent = true;
    const bytes = buf.byteLength;
    this.port.postMessage(msg, [buf]);
    return { id, acked: within(acked, `the ack of batch ${id}`), bytes };
  }
}

async function setup(options: WriterOptions): Promise<{ path: string; host: WriterHost; c: Raw }> {
  const path = join(tmpDir(), 'wal.jsonl');
  const host = await within(openWriter(path, options), 'openWriter');
  return { path, host, c: await Raw.connect(host) };
}

const linesIn = (path: string): number => readFileSync(path, 'utf8').split('\n').length - 1;

test('a busy writer holds un-awaited batches for the window; an awaited one commits them with it', async () => {
  const { path, host, c } = await setup({ commitWindowMs: 1000 });
  try {
    await c.post(0).acked; // idle writer: at once
    assert.is((await host.stats()).windowWaits, 0);
    const b = c.post(1); // a cycle began less than 1 s ago and nothing awaits b: it waits
    await sleep(100);
    assert.is(linesIn(path), 1, 'an un-awaited batch was committed inside the window');
    const before = (await host.stats()).batches;
    const urgent = c.post(2, true);
    await urgent.acked;
    await b.acked;
    const s = await host.stats();
    assert.is(s.batches, before + 1, 'the awaited batch and the one waiting went in one cycle');
    assert.is(s.windowWaits, 1);
    assert.ok(s.windowWaitedMs < 1000, `the window was waited out (${s.windowWaitedMs} ms), not ended`);
    assert.is(linesIn(path), 3);
  } finally {
    await host.release();
  }
});

test('an urge (flush with nothing new to post) ends the window', async () => {
  const { path, host, c } = await setup({ commitWindowMs: 1000 });
  try {
    await c.post(0).acked;
    const b = c.post(1);
    await sleep(50);
    assert.is(linesIn(path), 1);
    c.port.postMessage({ type: 'urge' });
    await b.acked;
    const s = await host.stats();
    assert.ok(s.windowWaitedMs < 1000, `the window was waited out (${s.windowWaitedMs} ms), not ended`);
    assert.is(linesIn(path), 2);
  } finally {
    await host.release();
  }
});

test('commitWindowMs: 0 never waits; close() does not wait out a window', async () => {
  const off = await setup({ commitWindowMs: 0 });
  try {
    for (let i = 0; i < 5; i++) await off.c.post(i).acked;
    assert.is((await off.host.stats()).windowWaits, 0);
  } finally {
    await off.host.release();
  }
  const on = await setup({ commitWindowMs: 1000 });
  await on.c.post(0).acked;
  const b = on.c.post(1);
  await sleep(20);
  await on.host.release(); // the last handle: close() writes what is queued at once
  await b.acked;
  assert.is(linesIn(on.path), 2);
});

test('an ack hands each batch buffer back, whole, for reuse', async () => {
  const { host, c } = await setup({ commitWindowMs: 0 });
  try {
    const a = c.post(0, true, 1000);
    await a.acked;
    const b = c.post(1, true, 5000);
    await b.acked;
    assert.equal(c.acks.map((m) => (m.bufs ?? []).map((x) => x.byteLength)), [[a.bytes], [b.bytes]]);
  } finally {
    await host.release();
  }
});

test.run();
