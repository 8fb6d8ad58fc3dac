// Issue 10, item 1: no silent loss at exit. appendNoWait events that cannot be made
// durable (here: a real, full filesystem) end the process with one stderr line naming the
// path, the code and how many events, and a failing exit code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWal } from '../src/index.js';
import { fixture, tempWal, expectCode } from './helpers.js';

/** Runs `fn` with a 1 MiB tmpfs mounted on a fresh directory; skips (saying why) when that is not possible. */
function withSmallFs(name: string, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'threadwal-smallfs-'));
  try {
    if (process.getuid?.() !== 0) return void console.log(`  skipped "${name}": needs root to mount a tmpfs`);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (err) {
      return void console.log(`  skipped "${name}": mount -t tmpfs failed: ${(err as Error).message.split('\n')[0]}`);
    }
    try {
      fn(dir);
    } finally {
      execFileSync('umount', [dir]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const how of ['end', 'exit'] as const) {
  const name = `appendNoWait onto a full filesystem, script ${how === 'end' ? 'ends on its own' : 'calls process.exit(0)'}: one stderr line, exit code 1`;
  test(name, () => {
    withSmallFs(name, (dir) => {
      const path = join(dir, 'app.wal');
      // 3000 events of ~1 KiB: about 3 MB for a 1 MiB filesystem.
      const r = spawnSync(process.execPath, [fixture('nowait-then-end.mjs'), path, how, '3000'], { encoding: 'utf8', timeout: 60_000 });
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('threadwal:'));
      assert.is(lines.length, 1, `one line, got stderr: ${r.stderr}`);
      const line = lines[0]!;
      assert.ok(line.includes(path), line);
      assert.ok(line.includes('ENOSPC'), line);
      const n = Number(/ (\d+) appended event\(s\) not durable/.exec(line)?.[1]);
      assert.ok(n > 0 && n < 3000, `a count of the lost events: ${line}`);
      assert.is(r.status, 1, `exit code, stderr: ${r.stderr}`);
    });
  });
}

test('events that fit on the small filesystem: nothing reported, exit code 0', () => {
  const name = 'control';
  withSmallFs(name, (dir) => {
    const path = join(dir, 'app.wal');
    const r = spawnSync(process.execPath, [fixture('nowait-then-end.mjs'), path, 'end', '100'], { encoding: 'utf8', timeout: 60_000 });
    assert.is(r.stderr, '');
    assert.is(r.status, 0);
  });
});

test('the writer thread dies under appendNoWait events, then process.exit(0): one stderr line (EWORKER, 100 events), exit code 1', () => {
  const path = tempWal();
  try {
    const r = spawnSync(process.execPath, [fixture('nowait-dead-writer.mjs'), path, fixture('die-on-write.mjs')], { encoding: 'utf8', timeout: 60_000 });
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('threadwal:'));
    assert.is(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.includes(path) && lines[0]!.includes('EWORKER') && lines[0]!.includes(' 100 appended event(s)'), lines[0]);
    assert.is(r.status, 1, r.stderr);
  } finally {
    rmSync(join(path, '..'), { recursive: true, force: true });
  }
});

test('flushSync() and flush() report a stored appendNoWait error even with nothing in flight', async () => {
  const path = tempWal();
  try {
    const wal = await openWal(path, { faultInjection: fixture('../../../core/test/fixtures/write-enospc-once.mjs') });
    wal.appendNoWait({ type: 'job_started', job_id: 'FAULT_ENOSPC' });
    while ((await wal.stats()).pendingBytes > 0) await new Promise((r) => setTimeout(r, 5)); // settled, nothing in flight
    await expectCode(() => wal.flushSync(), 'ENOSPC');
    wal.flushSync(); // reported once
    wal.appendNoWait({ type: 'job_started', job_id: 'FAULT_ENOSPC' }); // the fault fires once: this one lands
    await wal.flush();
    await wal.close();
  } finally {
    rmSync(join(path, '..'), { recursive: true, force: true });
  }
});

test.run();
