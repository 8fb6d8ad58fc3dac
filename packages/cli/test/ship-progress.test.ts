// `threadwal ship`'s live line (the command itself is tested against a real nats-server in
// packages/ship/test/cli.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { progressLine } from '../src/commands/ship.js';

test('the progress line names rate, acked seq, lag in events and bytes, and a state other than shipping', () => {
  const base = { stream: 'S', shipped: 12345, ackedSeq: 12344, lagEvents: 10, lagBytes: 2048, connected: true };
  assert.is(progressLine({ ...base, state: 'shipping' } as never, 999.6), 'ship → S: 12,345 events, 1,000/s · acked seq 12,344 · lag 10 events (2.0 KiB)');
  assert.is(progressLine({ ...base, state: 'backoff', connected: false } as never, 0), 'ship → S: 12,345 events, 0/s · acked seq 12,344 · lag 10 events (2.0 KiB) · backoff (disconnected)');
});

test.run();
