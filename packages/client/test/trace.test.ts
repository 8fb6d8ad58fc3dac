// THREADWAL_TRACE=1 (issue 15): the latency breakdown of both threads; off, nothing is traced.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { tempWal, fixture } from './helpers.js';

function run(trace: string | undefined): { writer: Record<string, { n: number; p50Us: number }> | null; producer: Record<string, { n: number }>; events: number } {
  const env = { ...process.env };
  delete env.THREADWAL_TRACE;
  if (trace !== undefined) env.THREADWAL_TRACE = trace;
  const r = spawnSync(process.execPath, [fixture('trace-report.mjs'), tempWal()], { encoding: 'utf8', env, timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

test('THREADWAL_TRACE=1: every step of an awaited append is recorded, in both threads', () => {
  const r = run('1');
  assert.is(r.events, 200);
  for (const step of ['1b producer → writer wake-up', '2 queued in writer (setImmediate, earlier cycle)', '3 lock + revalidate', '4 frame + write', '5 fdatasync', '6 acks posted', '7 writer → producer wake-up', 'post → ack handled (batch)']) {
    assert.ok((r.producer[step]?.n ?? 0) >= 1, `the producer recorded no "${step}"`);
  }
  assert.ok(r.writer, 'stats() carries no trace');
  assert.ok((r.writer['writer: fdatasync']?.n ?? 0) >= 1, 'the writer recorded no fdatasync');
});

test('without THREADWAL_TRACE nothing is recorded and stats() has no trace', () => {
  const r = run(undefined);
  assert.is(r.events, 200);
  assert.is(r.writer, null);
  assert.equal(r.producer, {});
});

test.run();
