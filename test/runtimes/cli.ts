// The installed `threadwal` command run by each runtime (`<runtime> node_modules/threadwal/bin/threadwal.js …`)
// on a WAL of 100 events (w-0 … w-99): what each command prints and its exit status.
import * as assert from 'uvu/assert';
import { appendFileSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { start, type Result, type Runtime } from './runtimes.js';

const show = (r: Result): string => `exit ${r.code ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

export async function cliScenario(rt: Runtime, app: string, env: NodeJS.ProcessEnv, dir: string): Promise<void> {
  const bin = join(app, 'node_modules', 'threadwal', 'bin', 'threadwal.js');
  const wal = join(dir, 'cli.wal');
  const cli = (args: string[], timeoutMs = 30_000): Promise<Result> => start(rt.bin, rt.argv(bin, args), app, env, timeoutMs).done;
  const okCli = async (args: string[]): Promise<Result> => {
    const r = await cli(args);
    assert.is(r.code, 0, `threadwal ${args.join(' ')}: ${show(r)}`);
    return r;
  };
  const ids = (r: Result): string[] => r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { job_id: string }).job_id);
  const all = Array.from({ length: 100 }, (_, i) => `w-${i}`);

  const [version, cat, tail, verify, stats, cursors] = await Promise.all([
    okCli(['--version']), okCli(['cat', wal]), okCli(['tail', '-n', '3', wal]), okCli(['verify', wal]), okCli(['stats', wal]), okCli(['cursors', wal]),
  ]);
  assert.is(version.stdout.trim(), '0.1.0');
  assert.equal(ids(cat), all);
  assert.equal(ids(tail), ['w-97', 'w-98', 'w-99']);
  assert.match(verify.stdout, 'clean');
  assert.match(stats.stdout, /events\s+100\b/);
  assert.match(cursors.stdout, 'no cursors');

  // A WAL with a line that is not a record (before a good one: not a torn tail) fails verification: exit 1.
  const bad = join(dir, 'bad.wal');
  copyFileSync(wal, bad);
  appendFileSync(bad, 'not a record\n{"seq":100,"ts":1,"type":"job_started","job_id":"j"}\n');
  const badVerify = await cli(['verify', bad]);
  assert.is(badVerify.code, 1, show(badVerify));

  // tail -f prints what is appended, across a rotation, until SIGINT (exit 130).
  const follow = start(rt.bin, rt.argv(bin, ['tail', '-f', '-n', '1', wal]), app, env, 30_000);
  const seen: string[] = [];
  let appended = false;
  follow.onLine((line) => {
    seen.push((JSON.parse(line) as { job_id: string }).job_id);
    if (!appended) {
      appended = true;
      void (async () => {
        const w = await openWal(wal);
        for (let i = 0; i < 5; i++) await w.append({ type: 'job_started', job_id: `f-${i}` });
        await w.rotate();
        await w.append({ type: 'job_started', job_id: 'f-rotated' });
        await w.close();
      })();
    }
    if (line.includes('f-rotated')) follow.child.kill('SIGINT');
  });
  const f = await follow.done;
  assert.is(f.code, 130, show(f));
  assert.equal(seen, ['w-99', 'f-0', 'f-1', 'f-2', 'f-3', 'f-4', 'f-rotated']);
  assert.match(f.stderr, 'interrupted');

  // Maintenance: rotate, compress (then cat reads the .gz), cleanup.
  assert.match((await okCli(['rotate', wal])).stdout, /^rotated cli\.wal/);
  assert.match((await okCli(['compress', wal])).stdout, /^compressed 2 segments/);
  const again = await okCli(['cat', wal]);
  assert.equal(ids(again), [...all, 'f-0', 'f-1', 'f-2', 'f-3', 'f-4', 'f-rotated']);
  assert.match((await okCli(['cleanup', '--max-age', '1000d', wal])).stdout, /^removed 0 events/);
  assert.match((await okCli(['verify', wal])).stdout, 'clean');
  assert.ok(readFileSync(wal, 'utf8') === '', 'the active file is empty after the rotation');
}
