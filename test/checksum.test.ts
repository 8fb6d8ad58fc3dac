// Issue 13, item 4: per-line checksums through the real writer, readWal, verify and cleanup.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { readWal, verify, cleanup, closePool } from '@threadwal/maintenance';
import { crc32c } from '@threadwal/core';

const dirs: string[] = [];
function wal(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-crc-'));
  dirs.push(d);
  return join(d, 'app.wal');
}
async function all(path: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const r of readWal(path)) out.push(r as unknown as Record<string, unknown>);
  return out;
}

test('checksum: crc32c writes the field on every line; readWal checks and drops it; verify is ok', async () => {
  const path = wal();
  const w = await openWal(path, { checksum: 'crc32c' });
  await Promise.all(Array.from({ length: 20 }, (_, i) => w.append({ type: 'job_started', job_id: `job-${i}`, output: { n: i, s: 'ünïcode' } })));
  await w.close();
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.is(lines.length, 20);
  for (const l of lines) assert.match(l, /,"crc32c":"[0-9a-f]{8}"\}$/);
  const recs = await all(path);
  assert.equal(recs.map((r) => r.seq), Array.from({ length: 20 }, (_, i) => i));
  assert.ok(recs.every((r) => !('crc32c' in r)), 'the field is the reader\'s business, not the consumer\'s');
  assert.equal(recs[3]!.output, { n: 3, s: 'ünïcode' });
  assert.ok((await verify(path)).ok);
  assert.ok((await verify(path, { deep: true })).ok);
  // reopen continues (recovery reads the seq as before)
  const w2 = await openWal(path, { checksum: 'crc32c' });
  assert.is(await w2.append({ type: 'job_started', job_id: 'again' }), 20);
  await w2.close();
});

test('a flipped byte inside a string value that still parses: "checksum mismatch" with both values and the file and offset, from readWal and verify', async () => {
  const path = wal();
  const w = await openWal(path, { checksum: 'crc32c' });
  for (let i = 0; i < 5; i++) await w.append({ type: 'job_started', job_id: `job-${i}` });
  await w.close();
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf('job-2');
  const lineStart = text.lastIndexOf('\n', at) + 1;
  writeFileSync(path, text.slice(0, at) + 'jab-2' + text.slice(at + 5));
  // What the line stores, and the CRC-32C of what it now holds (without the field, then `}`).
  const damaged = readFileSync(path, 'utf8');
  const line = damaged.slice(lineStart, damaged.indexOf('\n', lineStart));
  const expected = /"crc32c":"([0-9a-f]{8})"\}$/.exec(line)![1]!;
  const body = Buffer.from(line.slice(0, line.lastIndexOf(',"crc32c":')) + '}');
  const actual = crc32c(body, 0, body.length).toString(16).padStart(8, '0');
  assert.is.not(actual, expected);
  let err: { code?: string; file?: string; offset?: number; message?: string } | undefined;
  try {
    await all(path);
  } catch (e) {
    err = e as typeof err;
  }
  assert.is(err?.code, 'ECORRUPT');
  assert.is(err?.file, path);
  assert.is(err?.offset, lineStart);
  assert.is(err?.message, `checksum mismatch at ${path}:${lineStart} (crc32c expected ${expected}, actual ${actual})`);
  const v = await verify(path);
  assert.not.ok(v.ok);
  assert.equal(v.badLines, [{ file: path, offset: lineStart, checksum: { expected, actual } }]);
  assert.equal((await verify(path, { deep: true })).badLines, v.badLines);
  const skip: number[] = [];
  for await (const r of readWal(path, { onCorrupt: 'skip' })) skip.push(r.seq);
  assert.equal(skip, [0, 1, 3, 4]);
});

test('cleanup never drops a line whose checksum fails, even when its ts says old', async () => {
  const path = wal();
  const w = await openWal(path, { checksum: 'crc32c' });
  for (let i = 0; i < 4; i++) await w.append({ type: 'job_started', job_id: `job-${i}`, ts: 1000 });
  await w.append({ type: 'job_started', job_id: 'new', ts: 4_000_000_000 });
  await w.close();
  const text = readFileSync(path, 'utf8');
  const at = text.indexOf('job-1');
  writeFileSync(path, text.slice(0, at) + 'jab-1' + text.slice(at + 5));
  const r = await cleanup(path, 100, { now: 4_000_000_000 });
  assert.is(r.badLineCount, 1);
  assert.is(r.removed, 3);
  assert.match(readFileSync(path, 'utf8'), /jab-1/);
});

test('seed readers: the line is the seed\'s fields plus one extra string field', async () => {
  const path = wal();
  const w = await openWal(path, { checksum: 'crc32c' });
  await w.append({ type: 'job_started', job_id: 'j', capability: 'FileRead', ts: 5 });
  await w.close();
  const v = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.equal(Object.keys(v), ['seq', 'ts', 'type', 'job_id', 'capability', 'crc32c']);
});

test.after(async () => {
  await closePool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
