// util/runtime.ts on Node: which runtime this is, the version comparison the minimum-version
// check uses, and that the check (and envVar) never throw here. Bun's and Deno's side runs in
// test/runtimes (the Deno permission errors included).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RUNTIME, RUNTIME_VERSION, MIN_VERSIONS, checkRuntime, envVar, olderThan } from '../src/util/runtime.js';

test('this is node, at its own version, not older than the minimum stated', () => {
  assert.is(RUNTIME, 'node');
  assert.is(RUNTIME_VERSION, process.versions.node);
  assert.not.ok(olderThan(RUNTIME_VERSION, MIN_VERSIONS.node));
});

test('olderThan compares dotted versions numerically, a pre-release suffix ignored', () => {
  assert.ok(olderThan('1.3.14', '1.4.5'));
  assert.ok(olderThan('1.4.4', '1.4.5'));
  assert.ok(olderThan('2.9.5', '2.10.0'));
  assert.not.ok(olderThan('2.10.0', '2.9.6'));
  assert.not.ok(olderThan('1.4.5', '1.4.5'));
  assert.not.ok(olderThan('1.5.0-canary.20270101.1', '1.4.5'));
  assert.ok(olderThan('1.4', '1.4.5'));
});

test('checkRuntime is a no-op on node; envVar reads the environment', () => {
  checkRuntime('/nonexistent/dir/x.wal', 'openWal', { write: true, threads: true, hosts: ['127.0.0.1:4222'] });
  process.env.THREADWAL_RUNTIME_TEST = 'yes';
  assert.is(envVar('THREADWAL_RUNTIME_TEST'), 'yes');
  delete process.env.THREADWAL_RUNTIME_TEST;
  assert.is(envVar('THREADWAL_RUNTIME_TEST'), undefined);
});

test.run();
