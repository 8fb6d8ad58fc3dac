// Issue 22: a process killed at any point of taking the lock leaves nothing the next process
// has to wait out. The fixture kills a child before and after each fs step of acquiring (as
// a power cut or an OOM kill would); the next PathLock, whose lock goes stale only after
// 60 s and which gives up after 3 s, must get the lock, and leave no temp name behind.
// (With the old lock, a kill between its mkdir and its stamp left an unstamped directory:
// this waited out lockStaleMs and failed with ELOCKED.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PathLock } from '../src/lock/lock.js';
import { openWriter } from '../src/writer/writer.js';
import { tmpDir } from './helpers.js';

const fixture = fileURLToPath(new URL('../../test/fixtures/lock-kill-at.mjs', import.meta.url));

/** Runs the fixture; returns how many steps acquiring took when it got that far, else undefined. */
async function killAt(path: string, k: number, when: 'before' | 'after'): Promise<number | undefined> {
  const child = spawn(process.execPath, [fixture, path, String(k), when], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  const [code, signal] = await once(child, 'exit') as [number | null, string | null];
  assert.is(signal, 'SIGKILL', `the child ended by SIGKILL (code ${code}): ${out}`);
  const m = /steps=(\d+)/.exec(out);
  return m ? Number(m[1]) : undefined;
}

test('a process killed before or after any step of taking the lock: the next one takes it at once', async () => {
  const seen: string[] = [];
  for (let k = 1; ; k++) {
    let steps: number | undefined;
    for (const when of ['before', 'after'] as const) {
      const path = join(tmpDir(), 'wal.jsonl');
      steps = await killAt(path, k, when);
      const next = new PathLock(path, 60_000, 3000);
      try {
        await next.acquire();
      } catch (err) {
        throw new Error(`killed ${when} step ${k}: the next process could not take the lock (${(err as Error).message})`);
      }
      assert.ok(next.stillOurs());
      next.release();
      assert.equal(readdirSync(dirname(path)), [], `killed ${when} step ${k}: left ${readdirSync(dirname(path)).join(', ')}`);
      seen.push(`${when} ${k}`);
    }
    if (steps !== undefined) break; // acquiring took fewer than k steps: every step was covered
    assert.ok(k < 50, 'acquiring never finished');
  }
  assert.ok(seen.length >= 6, `steps covered: ${seen.join(', ')}`);
  console.log(`    lock kill points covered: ${seen.length} (${seen.join(', ')})`);
});

test('openWal after a writer was killed mid-lock opens at once, not after lockStaleMs', async () => {
  for (const k of [1, 2, 3]) {
    const path = join(tmpDir(), 'wal.jsonl');
    await killAt(path, k, 'after');
    const host = await openWriter(path, { lockStaleMs: 60_000, lockTimeoutMs: 3000 });
    await host.release();
  }
});

test.run();
