// Issue 10, item 10: the README's worker-thread and piscina examples run verbatim. The
// code blocks are taken from README.md as they are, split on their `// file.ts` markers,
// built with esbuild as the README says, into a fresh project whose node_modules links to
// this checkout's packages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The ```ts block whose first line is `// <first>`, as { 'name.ts': source, 'name.js': built }. */
function files(first: string): Record<string, string> {
  const start = readme.indexOf(`\`\`\`ts\n// ${first}\n`);
  assert.ok(start >= 0, `README has a block starting with // ${first}`);
  const body = readme.slice(start + 6, readme.indexOf('```', start + 6));
  const out: Record<string, string> = {};
  for (const part of body.split(/^(?=\/\/ [\w-]+\.ts$)/m)) {
    const name = /^\/\/ ([\w-]+)\.ts$/m.exec(part)![1]!;
    out[`${name}.ts`] = part;
    out[`${name}.js`] = transformSync(part, { loader: 'ts', format: 'esm', target: 'node20' }).code;
  }
  return out;
}

/** Writes `sources` into a new project and runs `node <main>` there. */
function run(sources: Record<string, string>, main: string): { status: number | null; stdout: string; stderr: string; dir: string; tsc: string | null } {
  const dir = mkdtempSync(join(tmpdir(), 'threadwal-readme-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(join(root, 'packages', 'threadwal'), join(dir, 'node_modules', 'threadwal'));
  symlinkSync(realpathSync(join(root, 'packages', 'maintenance', 'node_modules', 'piscina')), join(dir, 'node_modules', 'piscina'));
  mkdirSync(join(dir, 'node_modules', '@types'));
  symlinkSync(realpathSync(join(root, 'node_modules', '@types', 'node')), join(dir, 'node_modules', '@types', 'node'));
  for (const [name, src] of Object.entries(sources)) writeFileSync(join(dir, name), src);
  // The blocks typecheck as a strict TypeScript user's project would...
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    // (the package's .d.ts are emitted only by `build --types`: point tsc at its source)
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'],
      paths: { threadwal: [join(root, 'packages', 'threadwal', 'src', 'index.ts')], '@threadwal/*': [join(root, 'packages', '*', 'src', 'index.ts')] },
    },
    include: ['*.ts'],
  }));
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8', timeout: 120_000 });
  // ...and run.
  const r = spawnSync(process.execPath, [main], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, dir, tsc: tsc.status === 0 ? null : `${tsc.stdout}${tsc.stderr}` };
}

function records(path: string): Array<{ seq: number; job_id: string; type: string }> {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

test('README: four worker threads over wal.port() / connectWal, the owner closing first', () => {
  const src = files('main.ts');
  assert.equal(Object.keys(src).sort(), ['main.js', 'main.ts', 'worker.js', 'worker.ts']);
  const r = run(src, 'main.js');
  try {
    assert.is(r.tsc, null);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.split('\n').filter((l) => / is on disk$/.test(l)).length, 4, r.stdout);
    const lines = records(join(r.dir, 'app.wal'));
    assert.equal(lines.map((l) => l.seq), [0, 1, 2, 3]);
    assert.equal(lines.map((l) => l.job_id).sort(), ['job-0', 'job-1', 'job-2', 'job-3']);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('README: piscina tasks appending through walForThread, one client per pool thread', () => {
  const src = files('pool.ts');
  assert.equal(Object.keys(src).sort(), ['pool.js', 'pool.ts', 'task.js', 'task.ts']);
  const r = run(src, 'pool.js');
  try {
    assert.is(r.tsc, null);
    assert.is(r.status, 0, r.stderr);
    const lines = records(join(r.dir, 'jobs.wal'));
    assert.equal(lines.map((l) => l.seq), [0, 1, 2, 3, 4, 5]);
    const byJob = new Map<string, string[]>();
    for (const l of lines) byJob.set(l.job_id, [...(byJob.get(l.job_id) ?? []), l.type]);
    assert.equal([...byJob.keys()].sort(), ['job-1', 'job-2', 'job-3']);
    for (const types of byJob.values()) assert.equal(types, ['job_started', 'job_completed']);
    // Each task returned its job_completed seq, printed in job order.
    const printed = /durable seqs \[ (\d+), (\d+), (\d+) \]/.exec(r.stdout);
    assert.ok(printed, r.stdout);
    const completed = new Map(lines.filter((l) => l.type === 'job_completed').map((l) => [l.job_id, l.seq]));
    assert.equal(printed!.slice(1).map(Number), ['job-1', 'job-2', 'job-3'].map((j) => completed.get(j)));
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test.run();
