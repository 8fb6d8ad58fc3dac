// DurabilityClock alone (no server): an acked seq becomes durable only once the interval
// has passed since it was acked, never early; 0 makes every ack durable at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DurabilityClock } from '../src/durability.js';

test('durable only an interval after the ack, in order; lost() forgets what the server lost', () => {
  let now = 1000;
  const c = new DurabilityClock(100, -1, () => now);
  c.acked(10);
  now = 1050;
  c.acked(20);
  assert.is(c.durable(), -1);
  assert.is(c.nextInMs(), 50);
  now = 1099;
  assert.is(c.durable(), -1, 'not a millisecond early');
  now = 1100;
  assert.is(c.durable(), 10);
  now = 1150;
  assert.is(c.durable(), 20);
  c.acked(20); // nothing new
  c.acked(30);
  c.lost(25);
  now = 2000;
  assert.is(c.durable(), 20, 'a mark past what the server still holds is dropped');
});

test('an interval of 0: every ack is durable at once', () => {
  const c = new DurabilityClock(0, 5, () => 0);
  assert.is(c.durable(), 5);
  c.acked(9);
  assert.is(c.durable(), 9);
});

test.run();
