// threadwal as a user gets it: every workspace package packed, installed from the tarballs
// into a fresh npm project, then used from an ES module, from CommonJS, from TypeScript
// under four compiler configurations, and through the installed `threadwal` command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, TSC, installAll, ok, packAll, run, sizeOf, type Tarball } from './steps.js';

const started = performance.now();
const tmp = mkdtempSync(join(tmpdir(), 'threadwal-consumer-'));
const app = join(tmp, 'app');
const wal = join(app, 'data', 'jobs.wal');
let tarballs: Tarball[] = [];

/** Only the benchmark suite needs these; no shipped package may make a user install them. */
const BENCH_ONLY = ['better-sqlite3', 'lmdb', 'pino'];
const KiB = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

test.after(() => {
  rmSync(tmp, { recursive: true, force: true });
  console.log(`[consumer] whole test ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

test('pack every package and npm install the tarballs into a fresh project', async () => {
  tarballs = await packAll(join(tmp, 'packs'));
  const names = tarballs.map((t) => t.name).sort();
  for (const n of ['threadwal', '@threadwal/core', '@threadwal/client', '@threadwal/maintenance', '@threadwal/cli', '@threadwal/ship']) assert.ok(names.includes(n), `${n} not packed: ${names}`);
  console.log(`[consumer] tarballs: ${tarballs.map((t) => `${t.filename.replace(/.*\//, '')} ${KiB(t.size)}`).join(', ')}`);
  const r = await installAll(app, tarballs);
  console.log(`[consumer] npm install ${(r.ms / 1000).toFixed(1)} s`);
  // Every @threadwal package came from its tarball, none from the registry.
  const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { resolved?: string }> };
  for (const t of tarballs) {
    const entry = lock.packages[`node_modules/${t.name}`];
    assert.ok(entry?.resolved?.startsWith('file:'), `${t.name} resolved from ${entry?.resolved}`);
  }
  const nm = join(app, 'node_modules');
  const typesOnly = (p: string): boolean => p === join(nm, '@types') || p === join(nm, 'undici-types');
  console.log(`[consumer] installed threadwal with its dependencies: ${KiB(sizeOf(nm, typesOnly))} (node_modules less @types/node)`);
});

test('each tarball ships dist/src (JS + .d.ts), README and LICENSE, and nothing else', async () => {
  for (const t of tarballs) {
    const files = (await ok('tar', ['tzf', t.filename], tmp)).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
    for (const f of ['package.json', 'README.md', 'LICENSE', 'dist/src/index.js', 'dist/src/index.d.ts']) assert.ok(files.includes(f), `${t.name} lacks ${f}`);
    const stray = files.filter((f) => !/^(package\.json|README\.md|LICENSE|bin\/[\w-]+\.js|dist\/src\/[\w/-]+\.(js|d\.ts))$/.test(f));
    assert.equal(stray, [], `${t.name} ships ${stray.join(', ')}`);
    type Manifest = Record<'dependencies' | 'optionalDependencies' | 'peerDependencies', Record<string, string> | undefined>
      & { peerDependenciesMeta?: Record<string, { optional?: boolean }> };
    const manifest = JSON.parse((await ok('tar', ['xzf', t.filename, '-O', 'package/package.json'], tmp)).stdout) as Manifest;
    // npm installs a peer dependency unless it is marked optional: that counts as a dependency.
    const peers = Object.entries(manifest.peerDependencies ?? {}).filter(([dep]) => !manifest.peerDependenciesMeta?.[dep]?.optional);
    const deps = { ...manifest.dependencies, ...manifest.optionalDependencies, ...Object.fromEntries(peers) };
    for (const [dep, range] of Object.entries(deps)) {
      assert.not.match(range, /^workspace:/, `${t.name}: ${dep}@${range}`);
      assert.not.ok(BENCH_ONLY.includes(dep), `${t.name} depends on ${dep}, which only the benchmark needs`);
    }
  }
});

test('an ES module appends, reads back with threadwal/maintenance, verifies and exits on its own', async () => {
  cpSync(join(FIXTURES, 'esm.mjs'), join(app, 'esm.mjs'));
  const r = await run(process.execPath, ['esm.mjs', wal], app, 60_000);
  assert.is(r.signal, null, `did not exit on its own\n${r.stderr}`);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const out = JSON.parse(r.stdout) as { seqs: number[]; read: unknown[]; ok: boolean; events: number; exports: string[]; pino: string[] };
  assert.equal(out.seqs, [0, 1, 2]);
  assert.equal(out.read, [[0, 'esm-0'], [1, 'esm-1'], [2, 'esm-2']]);
  assert.ok(out.ok);
  assert.is(out.events, 3);
  for (const name of ['openWal', 'connectWal', 'WalWriter', 'WalError', 'isWalError', 'Wal']) assert.ok(out.exports.includes(name), name);
  assert.equal(out.pino, ['function', 'function', 'function', 'function']); // threadwal/pino's pinoDestination, threadwal/pino-transport's default, threadwal/ship's ship and ShipError
});

test("a CommonJS script does the same with require('threadwal')", async () => {
  cpSync(join(FIXTURES, 'cjs.cjs'), join(app, 'cjs.cjs'));
  const r = await run(process.execPath, ['cjs.cjs', wal], app, 60_000);
  assert.is(r.signal, null, `did not exit on its own\n${r.stderr}`);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '', 'no warning (require of an ES module is not experimental from Node 20.19 on)');
  const out = JSON.parse(r.stdout) as { seqs: number[]; read: unknown[]; ok: boolean; events: number; isError: boolean; transport: string };
  assert.equal(out.seqs, [3, 4, 5]);
  assert.equal(out.read.slice(3), [[3, 'cjs-0'], [4, 'cjs-1'], [5, 'cjs-2']]);
  assert.ok(out.ok);
  assert.is(out.events, 6);
  assert.ok(out.isError);
  assert.is(out.transport, 'function'); // found the way pino finds a transport target
});

/** A TypeScript project in app/<name> with `files` from the fixtures and a tsconfig (written, or made by `tsc --init`). */
function tsProject(name: string, files: Record<string, string>, compilerOptions?: Record<string, unknown>): string {
  const dir = join(app, name);
  mkdirSync(dir, { recursive: true });
  for (const [to, from] of Object.entries(files)) cpSync(join(FIXTURES, from), join(dir, to));
  if (compilerOptions) writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true }, include: Object.keys(files) }, null, 2));
  return dir;
}

const STRICT = {
  module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, exactOptionalPropertyTypes: true,
  noPropertyAccessFromIndexSignature: true, noUncheckedIndexedAccess: true, noImplicitOverride: true, skipLibCheck: false, types: ['node'],
  // TypeScript's own lib.*.d.ts are not what is under test (a third of the run's CPU).
  skipDefaultLibCheck: true,
};

test('TypeScript: 0 errors under tsc --init, NodeNext strict, bundler and node10 configurations', async () => {
  // (a) what `tsc --init` writes (TS 5.9: nodenext, strict, exactOptionalPropertyTypes,
  // noUncheckedIndexedAccess, verbatimModuleSyntax, skipLibCheck), plus types: ["node"].
  const init = tsProject('ts-init', { 'check.mts': 'check.mts', 'check.cts': 'check.cts', 'ship.mts': 'ship.mts' });
  await ok(process.execPath, [TSC, '--init', '--types', 'node'], init);
  const projects = [
    init,
    // (b) NodeNext, everything strict, skipLibCheck off: our .d.ts are checked too. (Only
    // here: checking @types/node's own .d.ts is most of a run, ~3 s of CPU, and says nothing
    // about ours.)
    tsProject('ts-strict', { 'check.mts': 'check.mts', 'check.cts': 'check.cts', 'scoped.mts': 'scoped.mts' }, STRICT),
    // (c) a bundler's settings.
    tsProject('ts-bundler', { 'check.mts': 'check.mts', 'check.cts': 'check.cts', 'ship.mts': 'ship.mts' },
      { module: 'preserve', moduleResolution: 'bundler', target: 'es2022', strict: true, exactOptionalPropertyTypes: true, skipLibCheck: true, types: ['node'] }),
    // (d) an older CommonJS project: module commonjs resolves like node10 (no `exports`).
    tsProject('ts-node10', { 'index.ts': 'node10.cts' }, { module: 'commonjs', target: 'es2022', strict: true, esModuleInterop: true, skipLibCheck: true, types: ['node'] }),
  ];
  const runs = await Promise.all(projects.map((dir) => run(process.execPath, [TSC, '-p', '.', '--noEmit'], dir, 180_000)));
  runs.forEach((r, i) => assert.is(r.code, 0, `${projects[i]}:\n${r.stdout}${r.stderr}`));
  console.log(`[consumer] tsc --noEmit: ${runs.map((r, i) => `${projects[i]!.replace(/.*ts-/, '')} ${(r.ms / 1000).toFixed(1)} s`).join(', ')}`);
});

test('TypeScript: a wrong event type does not compile', async () => {
  const dir = tsProject('ts-wrong', { 'wrong.mts': 'wrong.mts' }, { ...STRICT, skipLibCheck: true });
  const r = await run(process.execPath, [TSC, '-p', '.', '--noEmit'], dir, 180_000);
  assert.is.not(r.code, 0, 'tsc accepted wrong.mts');
  // Exactly the lines marked `error`, and nothing else, fail.
  const marked = readFileSync(join(dir, 'wrong.mts'), 'utf8').split('\n').flatMap((l, i) => (/\/\/ error:/.test(l) ? [i + 1] : []));
  const failed = [...r.stdout.matchAll(/^wrong\.mts\((\d+),\d+\): error TS\d+/gm)].map((m) => Number(m[1]));
  assert.equal([...new Set(failed)], marked, r.stdout);
  assert.is(r.stdout.split('\n').filter((l) => / error TS\d+/.test(l)).length, failed.length, r.stdout);
});

test('the installed bin: npx threadwal --help, cat and verify on the WAL just written', async () => {
  assert.match(readlinkSync(join(app, 'node_modules', '.bin', 'threadwal')), /threadwal[\\/]bin[\\/]threadwal\.js$/);
  const [help, cat, verify] = await Promise.all([
    run('npx', ['--no', '--', 'threadwal', '--help'], app),
    run('npx', ['--no', '--', 'threadwal', 'cat', wal], app),
    run('npx', ['--no', '--', 'threadwal', 'verify', wal], app),
  ]);
  assert.is(help.code, 0, help.stderr);
  for (const c of ['cat', 'tail', 'verify', 'stats', 'rotate', 'cleanup']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));
  assert.not.match(help.stdout, /^ {2}bench /m); // the suite is not shipped, so neither is the command
  assert.is(cat.code, 0, cat.stderr);
  const lines = cat.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; job_id: string });
  assert.equal(lines.map((l) => l.seq), [0, 1, 2, 3, 4, 5]);
  assert.is(lines[5]!.job_id, 'cjs-2');
  assert.is(verify.code, 0, verify.stderr);
  assert.match(verify.stdout, 'clean');
  // A WAL with a line that is not a record fails verification.
  writeFileSync(join(app, 'bad.wal'), `${readFileSync(wal, 'utf8')}not a record\n{"seq":7,"ts":1,"type":"job_started","job_id":"j"}\n`);
  const bad = await run(join(app, 'node_modules', '.bin', 'threadwal'), ['verify', join(app, 'bad.wal')], app);
  assert.is(bad.code, 1, bad.stdout + bad.stderr);
});

test('cold start: node -e "import(\'threadwal\')" (reported, not asserted)', async () => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push((await ok(process.execPath, ['-e', "import('threadwal')"], app)).ms);
  const bare = (await ok(process.execPath, ['-e', '0'], app)).ms;
  console.log(`[consumer] node -e "import('threadwal')" ${Math.min(...times).toFixed(0)} ms (node -e 0: ${bare.toFixed(0)} ms)`);
});

test.run();
