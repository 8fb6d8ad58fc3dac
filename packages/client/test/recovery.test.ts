// Issue 10, item 4: openWal never destroys a file that is not a WAL, and what recovery cut
// reaches the caller (wal.recovery, one stderr line unless reportRecovery: false).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openWal } from '../src/index.js';
import { tempWal, expectCode } from './helpers.js';

/** Runs `fn` collecting what is written to stderr meanwhile. */
async function stderrOf(fn: () => Promise<void>): Promise<string> {
  const real = process.stderr.write;
  let out = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stderr.write = real;
  }
  return out;
}

test('openWal on a two-line text file refuses with ECORRUPT and leaves it byte for byte intact', async () => {
  const path = tempWal('notes.txt');
  try {
    for (const content of ['first line\nsecond line', 'first line\nsecond line\n', '{"level":30,"msg":"hi"}\n']) {
      writeFileSync(path, content);
      await expectCode(openWal(path), 'ECORRUPT');
      assert.is(readFileSync(path, 'utf8'), content);
    }
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
});

test('a torn tail cut on open is in wal.recovery and on one stderr line; reportRecovery: false keeps stderr quiet', async () => {
  const path = tempWal();
  try {
    const good = '{"seq":0,"ts":1,"type":"job_started","job_id":"a"}\n';
    writeFileSync(path, `${good}{"seq":1,"ts`);
    let wal!: Awaited<ReturnType<typeof openWal>>;
    const err = await stderrOf(async () => { wal = await openWal(path); });
    assert.equal(wal.recovery, { file: path, bytes: 12, offset: good.length, reason: 'partial-line' });
    const lines = err.split('\n').filter(Boolean);
    assert.is(lines.length, 1, err);
    assert.ok(lines[0]!.includes(path) && lines[0]!.includes('12 byte'), lines[0]);
    assert.is(await wal.append({ type: 'job_started', job_id: 'b' }), 1);
    await wal.close();

    writeFileSync(path, `${good}{"seq":1,"ts`);
    const quiet = await stderrOf(async () => { wal = await openWal(path, { reportRecovery: false }); });
    assert.is(quiet, '');
    assert.is(wal.recovery?.bytes, 12);
    await wal.close();

    const clean = await stderrOf(async () => { wal = await openWal(path); });
    assert.is(clean, '');
    assert.is(wal.recovery, null);
    await wal.close();
  } finally {
    rmSync(dirname(path), { recursive: true, force: true });
  }
});

test.run();
