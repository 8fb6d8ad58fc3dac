import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { rotate, verify, closePool } from '../src/index.js';
import { tempWal, lines, fixture, runNode } from './helpers.js';

test('a script using rotate, cleanup and verify exits on its own', async () => {
  const r = await runNode(fixture('use-pool.mjs'), [tempWal()], 30_000);
  assert.is(r.signal, null, 'killed: the process did not exit on its own');
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), { rotated: true, removed: 1, ok: true });
});

test('an unsettled top-level await after rotate still exits 13 (no lock code on the main thread, nothing kept alive)', async () => {
  const r = await runNode(fixture('pending-tla.mjs'), [tempWal()], 30_000);
  assert.is(r.signal, null, 'killed: the process did not exit on its own');
  assert.is(r.code, 13, r.stderr);
});

test('the lock module is never loaded on the caller’s thread', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 3, () => 1));
  await rotate(path, 1, 3);
  const loaded = Object.keys(createRequire(import.meta.url).cache);
  assert.not.ok(loaded.some((k) => k.includes('proper-lockfile') || k.includes('signal-exit')));
});

test('closePool ends the workers; the next job starts a new pool', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 3, () => 1));
  assert.ok((await verify(path)).ok);
  await closePool();
  await closePool(); // twice is fine
  assert.is((await verify(path)).events, 3);
  await closePool();
});

test('jobs run side by side in the pool', async () => {
  const path = tempWal();
  writeFileSync(path, lines(0, 1000, () => 1));
  const reports = await Promise.all([verify(path), verify(path), verify(path), verify(path)]);
  assert.ok(reports.every((r) => r.ok && r.events === 1000));
  await closePool();
});

test.run();
