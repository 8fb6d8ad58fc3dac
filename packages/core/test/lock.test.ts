// PathLock runs in the writer thread in production; loading proper-lockfile here is fine
// (a test process, not a library user's main thread).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fsModule, { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { PathLock, withLock } from '../src/lock/lock.js';
import { WalError } from '../src/errors.js';
import { stampedPid, OWNER_STAMP, MS_TAG, msStamp } from '../src/lock/lock-owner.js';
import { tmpDir, walErrorOf, within } from './helpers.js';

const STALE_MS = 2000;

function ageLockDir(path: string): void {
  const old = new Date(Date.now() - 60_000);
  utimesSync(`${path}.lock`, old, old);
}

/** Another process's takeover, by hand: its lock replaces ours (a new file, so a new inode). */
function replaceLock(path: string): void {
  rmSync(`${path}.lock`, { recursive: true });
  writeFileSync(`${path}.lock`, '');
}

test('acquire creates {path}.lock, release removes it', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const lock = new PathLock(path, 10_000, 1000);
  assert.not.ok(lock.held);
  await lock.acquire();
  assert.ok(lock.held);
  assert.ok(statSync(`${path}.lock`).isFile(), 'the lock is a file (lock-file.ts)');
  assert.ok(lock.stillOurs());
  assert.is(lock.waits, 0);
  lock.release();
  assert.not.ok(lock.held);
  assert.not.ok(existsSync(`${path}.lock`));
  assert.not.ok(lock.stillOurs());
  assert.equal(readdirSync(dirname(path)), [], 'no temp name is left');
  lock.release(); // idempotent
});

test('tryAcquireSync does not wait: false while another holds the lock', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, 10_000, 1000);
  const b = new PathLock(path, 10_000, 1000);
  assert.ok(a.tryAcquireSync());
  assert.not.ok(b.tryAcquireSync());
  assert.not.ok(b.held);
  a.release();
  assert.ok(b.tryAcquireSync());
  b.release();
});

test('a second PathLock on the same path gets ELOCKED after lockTimeoutMs', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, 10_000, 1000);
  await a.acquire();
  const b = new PathLock(path, 10_000, 150);
  const err = await walErrorOf(() => b.acquire());
  assert.is(err.code, 'ELOCKED');
  assert.is(err.path, path);
  assert.is(b.waits, 1);
  assert.not.ok(b.held);
  assert.ok(a.stillOurs(), 'the waiter did not disturb the holder');
  a.release();
});

test('a second PathLock waits and gets the lock once the holder releases it', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, 10_000, 1000);
  await a.acquire();
  const b = new PathLock(path, 10_000, 60_000);
  let got = false;
  const waiting = b.acquire().then(() => { got = true; });
  await new Promise((r) => setTimeout(r, 30));
  assert.not.ok(got, 'b must wait while a holds the lock');
  a.release();
  await within(waiting, 'b to acquire');
  assert.ok(b.held);
  assert.ok(b.stillOurs());
  assert.is(b.waits, 1);
  b.release();
  assert.not.ok(existsSync(`${path}.lock`));
});

test('a waiter leaves a hint the holder can take (once), so a holder keeping the lock across batches hands it over', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const holder = new PathLock(path, 10_000, 5000);
  const waiter = new PathLock(path, 10_000, 5000);
  await holder.acquire();
  assert.not.ok(holder.takeWaiterHint(), 'nobody waits yet');
  const got = waiter.acquire();
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(`${path}.lock.want`), 'the waiter asked');
  assert.ok(holder.takeWaiterHint());
  assert.not.ok(existsSync(`${path}.lock.want`), 'the hint is consumed');
  holder.release();
  await within(got, 'the waiter to get the lock', 2000);
  assert.ok(waiter.stillOurs());
  waiter.release();
});

test('EIO (not ELOCKED) when the lock directory cannot be created', async () => {
  const path = join(tmpDir(), 'no', 'such', 'dir', 'wal.jsonl');
  const err = await walErrorOf(() => new PathLock(path, 10_000, 100).acquire());
  assert.is(err.code, 'EIO');
});

test('stillOurs() is false once the lock dir was removed and re-created (a takeover by another process)', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, STALE_MS, 1000);
  await a.acquire();
  replaceLock(path);
  assert.not.ok(a.stillOurs());
  a.release();
  assert.ok(existsSync(`${path}.lock`), "release after a takeover must not delete the other holder's lock dir");
  assert.not.ok(a.held);
});

test('stillOurs() is false once the lock dir is gone', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, STALE_MS, 1000);
  await a.acquire();
  rmSync(`${path}.lock`);
  assert.not.ok(a.stillOurs());
  a.release(); // must not throw
  assert.not.ok(existsSync(`${path}.lock`));
});

test('a stale lock is taken over by another PathLock; the old holder sees it is no longer ours', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, STALE_MS, 1000);
  await a.acquire();
  ageLockDir(path); // as if a were paused past `stale`
  const b = new PathLock(path, STALE_MS, 1000);
  await b.acquire();
  assert.ok(b.held);
  assert.ok(b.stillOurs());
  assert.not.ok(a.stillOurs());
  // a's release must leave b's lock in place.
  a.release();
  assert.ok(existsSync(`${path}.lock`), "a's release deleted b's lock dir");
  assert.ok(b.stillOurs());
  b.release();
});

test('after a stale holder in the same thread releases, the new holder can still release its lock', async () => {
  // Regression (found by this suite, fixed in 71360bb): a's release called proper-lockfile's
  // unlockSync(path), which looks locks up by path in a per-thread table, so it dropped b's
  // entry; b's mtime refresh stopped and b's own release left the directory behind.
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, STALE_MS, 1000);
  await a.acquire();
  ageLockDir(path);
  const b = new PathLock(path, STALE_MS, 1000);
  await b.acquire();
  a.release();
  b.release();
  assert.not.ok(existsSync(`${path}.lock`), "b's release left its lock dir behind");
});

test('a late compromise report from an earlier acquisition does not mark the current one', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, STALE_MS, 1000);
  await a.acquire();
  const firstDone = Date.now();
  // Another process takes over and goes away; a gives up its claim and acquires again.
  replaceLock(path);
  a.release();
  rmSync(`${path}.lock`);
  // proper-lockfile stamps a new lock with the next whole second (+5 ms) and recognises its own
  // lock by that mtime alone: acquire again only once that second has passed, so the two
  // acquisitions carry different stamps, as any real takeover (>= stale later) guarantees.
  const nextSecond = Math.ceil(firstDone / 1000) * 1000;
  while (Date.now() <= nextSecond + 20) await new Promise((r) => setTimeout(r, 25));
  await a.acquire();
  assert.ok(a.stillOurs());
  // proper-lockfile's update timer for the first acquisition (every 1000 ms at stale 2000) now
  // finds a directory that is not its own and reports a compromise: it must be ignored. The
  // wait only gives that timer a chance to fire; nothing asserts on how long anything took.
  await new Promise((r) => setTimeout(r, 1600));
  assert.ok(a.stillOurs(), 'the old acquisition\'s compromise marked the current lock');
  a.release();
  assert.not.ok(existsSync(`${path}.lock`));
});

test('forget() drops the claim without removing the directory', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, STALE_MS, 1000);
  await a.acquire();
  a.forget();
  assert.not.ok(a.held);
  assert.not.ok(a.stillOurs());
  assert.ok(existsSync(`${path}.lock`));
});

test('a takeover by another process: stillOurs() false, release leaves its lock', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, STALE_MS, 1000);
  await a.acquire();
  ageLockDir(path);
  const child = await holdInChild(path);
  try {
    assert.not.ok(a.stillOurs());
    a.release();
    assert.ok(existsSync(`${path}.lock`), "a's release deleted the other process's lock dir");
  } finally {
    child.stdin!.end();
    await once(child, 'close');
  }
  assert.is(child.exitCode, 0);
  assert.not.ok(existsSync(`${path}.lock`), 'the child released its own lock');
});

/** Spawns take-lock.mjs on `path`; resolves once the child holds the lock (it releases when its stdin ends). */
function holdInChild(path: string): Promise<ReturnType<typeof spawn>> {
  const fixture = fileURLToPath(new URL('../../test/fixtures/take-lock.mjs', import.meta.url));
  const child = spawn(process.execPath, [fixture, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  return within(new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: string) => { out += d; if (out.includes('locked\n')) resolve(child); });
    child.once('exit', (code) => reject(new Error(`take-lock exited with ${code}: ${out}`)));
  }), 'the child to take the lock');
}

test('the lock is stamped with its holder: this pid, on this host', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const lock = new PathLock(path, 10_000, 1000);
  await lock.acquire();
  assert.is(stampedPid(statSync(`${path}.lock`).atimeMs), process.pid);
  lock.release();
  assert.is(stampedPid(Date.now()), -1, 'an ordinary atime names nobody');
  const ours = OWNER_STAMP - process.pid; // this host's tag, as a fraction of a second
  const theirs = ours + 1 / 2 ** 16 < 1 ? ours + 1 / 2 ** 16 : ours - 1 / 2 ** 16;
  assert.is(stampedPid((4242 + ours) * 1000), 4242);
  assert.is(stampedPid((4242 + theirs) * 1000), -1, 'a stamp from another host or pid namespace names nobody');
  // Deno stamps to the millisecond (its utimes truncates): the same host in whole ms.
  assert.is(stampedPid(4242 * 1000 + MS_TAG), 4242, "a Deno process's stamp of this host names its pid");
  assert.is(stampedPid(4242 * 1000 + (MS_TAG % 999) + 1), -1, 'a millisecond stamp of another host names nobody');
  // What Deno stores is the stamp truncated to the millisecond: it must decode for every pid.
  const wrong: number[] = [];
  for (let pid = 2; pid < 4_000_000; pid += 331) if (stampedPid(Math.trunc(msStamp(pid) * 1000)) !== pid) wrong.push(pid);
  assert.equal(wrong.slice(0, 5), [], `${wrong.length} pids whose truncated stamp names someone else`);
});

test('a lock whose holder was SIGKILLed is taken over at once, long before it is stale', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const child = await holdInChild(path);
  child.kill('SIGKILL');
  await once(child, 'close');
  assert.ok(existsSync(`${path}.lock`), 'the killed holder left its lock directory');
  // Stale after 60 s, give up after 3 s: only the dead-holder check can get it in time.
  const b = new PathLock(path, 60_000, 3000);
  await b.acquire();
  assert.ok(b.stillOurs());
  b.release();
});

test('a waiter leaves no .lock.want behind: not after taking over from a dead holder, not after giving up', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const want = `${path}.lock.want`;
  const dead = await holdInChild(path);
  dead.kill('SIGKILL');
  await once(dead, 'close');
  const b = new PathLock(path, 60_000, 3000);
  await b.acquire();
  assert.not.ok(existsSync(want), 'the takeover left its hint');
  b.release();
  const live = await holdInChild(path);
  try {
    const c = new PathLock(path, 60_000, 200);
    assert.is((await walErrorOf(() => c.acquire())).code, 'ELOCKED');
    assert.not.ok(existsSync(want), 'a waiter that gave up left its hint');
  } finally {
    live.stdin!.end();
    await once(live, 'close');
  }
});

test('a live holder in another process is not taken over before it is stale', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const child = await holdInChild(path);
  try {
    const b = new PathLock(path, 60_000, 300);
    assert.is((await walErrorOf(() => b.acquire())).code, 'ELOCKED');
  } finally {
    child.stdin!.end();
    await once(child, 'close');
  }
  assert.is(child.exitCode, 0, 'the holder still held its lock');
});

test('a lock directory made by an older threadwal is respected while fresh and removed once stale', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  mkdirSync(`${path}.lock`);
  const b = new PathLock(path, STALE_MS, 150);
  assert.is((await walErrorOf(() => b.acquire())).code, 'ELOCKED', 'a fresh directory lock is held');
  ageLockDir(path);
  await b.acquire();
  assert.ok(statSync(`${path}.lock`).isFile());
  b.release();
  assert.not.ok(existsSync(`${path}.lock`));
});

test('on a filesystem without hard links (link fails EPERM) the lock is created directly, still stamped', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const cjs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const real = cjs.linkSync;
  cjs.linkSync = () => { throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' }); };
  syncBuiltinESMExports();
  try {
    const a = new PathLock(path, STALE_MS, 1000);
    await a.acquire();
    assert.ok(statSync(`${path}.lock`).isFile());
    assert.is(stampedPid(statSync(`${path}.lock`).atimeMs), process.pid);
    assert.not.ok(new PathLock(path, STALE_MS, 1000).tryAcquireSync(), 'still exclusive');
    a.release();
    assert.equal(readdirSync(dirname(path)), []);
  } finally {
    cjs.linkSync = real;
    syncBuiltinESMExports();
  }
});

test('withLock holds the lock while fn runs and releases it after, even when fn throws', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const r = await withLock(path, () => {
    assert.ok(existsSync(`${path}.lock`));
    return 7;
  });
  assert.is(r, 7);
  assert.not.ok(existsSync(`${path}.lock`));
  let threw = false;
  try {
    await withLock(path, async () => { throw new Error('job failed'); });
  } catch {
    threw = true;
  }
  assert.ok(threw);
  assert.not.ok(existsSync(`${path}.lock`));
});

test('withLock waits for the holder, then ELOCKED after timeoutMs', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const a = new PathLock(path, 10_000, 1000);
  await a.acquire();
  let ran = false;
  const err = await walErrorOf(() => withLock(path, () => { ran = true; }, { timeoutMs: 100 }));
  assert.is(err.code, 'ELOCKED');
  assert.not.ok(ran);
  a.release();
});

test('an I/O error removing the lock is a WalError with its errno as the code, the cause kept', async () => {
  const path = join(tmpDir(), 'wal.jsonl');
  const lock = new PathLock(path, 10_000, 1000);
  await lock.acquire();
  const real = fsModule.unlinkSync;
  const eio = Object.assign(new Error('EIO: i/o error, unlink'), { code: 'EIO', errno: -5 });
  fsModule.unlinkSync = ((p: fsModule.PathLike) => {
    if (String(p) === `${path}.lock`) throw eio;
    return real(p);
  }) as typeof fsModule.unlinkSync;
  syncBuiltinESMExports();
  try {
    let caught: unknown;
    try {
      lock.release();
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof WalError, `release threw ${String(caught)}`);
    assert.is((caught as WalError).code, 'EIO');
    assert.is((caught as WalError).cause, eio);
  } finally {
    fsModule.unlinkSync = real;
    syncBuiltinESMExports();
  }
});

test.run();
