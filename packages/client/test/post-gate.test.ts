// When a client's next batch may go to the writer (post-gate.ts): one batch in flight, the
// next one filled meanwhile, except what is urgent over what is not, and a batch large
// enough to be worth its own message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SAB_DURABLE_BATCH } from '@threadwal/core';
import { PostGate, WORTH_A_MESSAGE_BYTES } from '../src/batch/post-gate.js';

test('nothing in flight: a batch goes', () => {
  const g = new PostGate();
  assert.ok(g.mayPost(false, 0, null, 100));
  g.posted(1, false);
  assert.ok(g.mayPost(false, 0, null, 100), 'its ack was read (nothing in flight)');
});

test('one in flight: a small batch waits; the SAB cursor at it lets the next go', () => {
  const g = new PostGate();
  const sab = new Int32Array(new SharedArrayBuffer(64));
  g.posted(7, false);
  assert.not.ok(g.mayPost(false, 1, sab, 100));
  Atomics.store(sab, SAB_DURABLE_BATCH, 7);
  assert.ok(g.mayPost(false, 1, sab, 100));
});

/** A connection's SAB whose durable cursor has not reached what is in flight. */
const behind = (): Int32Array => new Int32Array(new SharedArrayBuffer(64));

test('an urgent batch passes one nobody waits for, not another urgent one', () => {
  const g = new PostGate();
  g.posted(1, false);
  assert.ok(g.mayPost(true, 1, behind(), 100));
  assert.not.ok(g.mayPost(false, 1, behind(), 100));
  g.posted(2, true);
  assert.not.ok(g.mayPost(true, 1, behind(), 100));
});

test('a batch of WORTH_A_MESSAGE_BYTES or more goes while another is in flight', () => {
  const g = new PostGate();
  g.posted(1, true);
  assert.not.ok(g.mayPost(true, 1, behind(), WORTH_A_MESSAGE_BYTES - 1));
  assert.ok(g.mayPost(true, 1, behind(), WORTH_A_MESSAGE_BYTES));
  assert.ok(g.mayPost(false, 2, behind(), WORTH_A_MESSAGE_BYTES * 3));
});

test.run();
