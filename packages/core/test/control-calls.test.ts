// Control calls (stats, rotate) to the writer thread while many are in flight, and while the
// thread dies under them. comlink never settles a call whose thread exited, so the host races
// each call against the thread's exit: one 'exit' listener for them all, never one per call
// (past 10 at once Node printed MaxListenersExceededWarning).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { openWriter, type WriterHost } from '../src/writer/writer.js';
import { encodeBody } from '../src/format/format.js';
import { WalError } from '../src/errors.js';
import type { BatchMsg } from '../src/protocol.js';
import type { WriterOptions } from '../src/options.js';
import { tmpDir, ev, walErrorOf, within, MAX } from './helpers.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

/** The process warnings emitted while `fn` runs (and the ticks after it, when Node emits them). */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error): void => void seen.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    await fn();
    await delay(20);
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

async function open(path: string, options?: WriterOptions): Promise<WriterHost> {
  return within(openWriter(path, options), 'openWriter');
}

test('50 concurrent stats() calls all resolve, with no MaxListenersExceededWarning', async () => {
  const host = await open(join(tmpDir(), 'wal.jsonl'));
  try {
    let all: unknown[] = [];
    const warnings = await warningsDuring(async () => {
      all = await within(Promise.all(Array.from({ length: 50 }, () => host.stats())), '50 stats()');
    });
    assert.equal(warnings, []);
    assert.is(all.length, 50);
    for (const s of all) assert.is((s as { events: number }).events, 0);
    // And again: nothing was left behind by the first round.
    const again = await warningsDuring(async () => { await Promise.all(Array.from({ length: 50 }, () => host.rotate())); });
    assert.equal(again, []);
  } finally {
    await host.release();
  }
});

test('stats() calls in flight when the writer thread dies reject with EWORKER (and warn of nothing)', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const host = await open(path, { faultInjection: fixture('hang-then-exit.mjs') });
  try {
    const conn = await host.connect();
    const bytes = Buffer.from(encodeBody(ev(0, { job_id: 'FAULT_HANG_EXIT' }), MAX));
    const buf = new ArrayBuffer(bytes.length);
    new Uint8Array(buf).set(bytes);
    const msg: BatchMsg = { type: 'batch', id: 1, buf, len: bytes.length, count: 1 };
    conn.port.postMessage(msg, [buf]);
    // The thread is now blocked in its write: nothing it is asked is answered.
    await within((async () => { while (!existsSync(`${path}.hung`)) await delay(5); })(), 'the writer thread to hang');
    let outcomes: unknown[] = [];
    const warnings = await warningsDuring(async () => {
      const calls = Array.from({ length: 20 }, () => walErrorOf(() => host.stats()));
      await delay(50);
      writeFileSync(`${path}.exit`, ''); // the thread exits (code 3) without answering
      outcomes = await within(Promise.all(calls), 'the stats() calls to settle');
    });
    assert.equal(warnings, []);
    assert.is(outcomes.length, 20);
    for (const e of outcomes) {
      assert.instance(e, WalError);
      assert.is((e as WalError).code, 'EWORKER');
      assert.is((e as WalError).path, host.path);
      assert.match((e as WalError).message, /exited \(code 3\) during a control call/);
    }
    conn.port.close();
    // The host goes on: the next call starts a new thread.
    assert.is((await within(host.stats(), 'stats() after the death')).events, 0);
  } finally {
    await host.release();
  }
});

test.run();
