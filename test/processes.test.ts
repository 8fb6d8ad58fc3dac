// Cross-process behaviour of the writer: several processes appending to one path through the
// per-batch lock, and an acknowledged event surviving SIGKILL right after its ack.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APPENDER = fileURLToPath(new URL('../test/fixtures/appender.mjs', import.meta.url));

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir, removed when the test process exits. */
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function run(args: string[]): Promise<{ code: number | null; acked: number[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [APPENDER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, acked: out.split('\n').filter(Boolean).map(Number), stderr }));
  });
}

function lines(path: string): Array<{ seq: number; job_id: string; n: number }> {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test('4 processes x 5,000 appends to one path: 20,000 lines, seq 0..19999 once each, in order', async () => {
  const path = join(tempDir('threadwal-proc-'), 'shared.wal');
  const results = await Promise.all(['p0', 'p1', 'p2', 'p3'].map((name) => run([path, name, '5000'])));
  for (const r of results) assert.is(r.code, 0, r.stderr);
  const all = lines(path);
  assert.is(all.length, 20000);
  assert.equal(all.map((l) => l.seq), Array.from({ length: 20000 }, (_, i) => i));
  // Every acked seq names the line that process wrote, and each process's lines keep its order.
  for (const [k, r] of results.entries()) {
    assert.is(r.acked.length, 5000);
    const mine = all.filter((l) => l.job_id.startsWith(`p${k}-`));
    assert.equal(mine.map((l) => l.seq), r.acked);
    assert.equal(mine.map((l) => l.n), Array.from({ length: 5000 }, (_, i) => i));
  }
});

test('an acked event survives SIGKILL of its process right after the ack', async () => {
  const path = join(tempDir('threadwal-kill-'), 'kill.wal');
  const child = spawn(process.execPath, [APPENDER, path, 'k', '1000000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked = await new Promise<number[]>((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      // Kill as soon as the first acks arrive: the events were acknowledged, so they are on disk.
      if (out.includes('\n') && !child.killed) {
        child.kill('SIGKILL');
        resolve(out.split('\n').slice(0, -1).map(Number));
      }
    });
  });
  await new Promise((r) => child.on('close', r));
  assert.ok(acked.length > 0);
  const file = readFileSync(path, 'utf8');
  const complete = file.slice(0, file.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number });
  const present = new Set(complete.map((l) => l.seq));
  for (const s of acked) assert.ok(present.has(s), `acked seq ${s} missing after SIGKILL`);
  assert.equal(complete.map((l) => l.seq), Array.from({ length: complete.length }, (_, i) => i));
});

test.run();
