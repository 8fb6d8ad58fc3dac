// Runs every built uvu test file in its own process (two at a time: this machine has two
// cores), sums uvu's per-file totals and prints exactly one closing line
// `N passed, N failed`. A file that exits non-zero or dies without a uvu summary counts
// as a failure, so a crashed test can never pass silently. Each file runs with TMPDIR set
// to a fresh directory of its own; whatever a file leaves there counts as a failure naming
// the file and the leftovers, and is removed (tests must clean up after themselves).
//   node scripts/test.mjs                 unit + cross-package tests (CI size)
//   node scripts/test.mjs --reliability   test/reliability only, full counts
//   node scripts/test.mjs <substring>     only files whose path contains it
//   node scripts/test.mjs <file.js>       that built test file (anywhere, fixtures too)
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const reliability = args.includes('--reliability');
const named = args.filter((a) => a.endsWith('.js') && existsSync(a));
const filters = args.filter((a) => !a.startsWith('--') && !named.includes(a));
const CONCURRENCY = 2;
const FILE_TIMEOUT_MS = 240_000;

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== 'fixtures') out.push(...testFiles(p)); }
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = [];
if (!reliability) for (const pkg of readdirSync(join(root, 'packages'))) files.push(...testFiles(join(root, 'packages', pkg, 'dist', 'test')));
// The default run includes test/reliability at CI size (THREADWAL_FULL unset);
// --reliability runs only that suite, at full size.
files.push(...testFiles(join(root, 'dist-test')).filter((f) => !reliability || f.includes(join('dist-test', 'reliability'))));
if (filters.length || named.length) files = files.filter((f) => filters.some((s) => f.includes(s)));
files.push(...named.map((f) => resolve(f)));
files.sort();

const env = { ...process.env, THREADWAL_FULL: reliability ? '1' : (process.env.THREADWAL_FULL ?? '') };
let passed = 0, failed = 0;
const failures = [];
// One directory per run in the real temp dir, one subdirectory per test file as its TMPDIR.
const runTmp = mkdtempSync(join(tmpdir(), 'threadwal-test-run-'));
let fileNo = 0;
// An interrupted run still removes its temp dirs (the children get the signal too).
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { rmSync(runTmp, { recursive: true, force: true }); process.exit(130); });

/** Entries a test file left in its TMPDIR (first few names), then removes them all. */
function leftovers(dir) {
  let names = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  rmSync(dir, { recursive: true, force: true });
  return names.sort();
}

function runOne(file) {
  const tmp = join(runTmp, String(fileNo++));
  mkdirSync(tmp);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { env: { ...env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => { out += `\n[test.mjs] timed out after ${FILE_TIMEOUT_MS} ms\n`; child.kill('SIGKILL'); }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const clean = out.replace(/\x1b\[[0-9;]*m/g, '');
      const total = /Total:\s+(\d+)/.exec(clean);
      const pass = /Passed:\s+(\d+)/.exec(clean);
      const skip = /Skipped:\s+(\d+)/.exec(clean);
      const name = relative(root, file);
      if (!total || !pass) {
        failed += 1;
        failures.push(`${name}: exited ${code ?? signal} without a uvu summary`);
        process.stdout.write(`✗ ${name} (no summary)\n${clean}\n`);
      } else {
        const t = Number(total[1]), p = Number(pass[1]), s = skip ? Number(skip[1]) : 0;
        const f = Math.max(0, t - p - s) + (code === 0 ? 0 : (t - p - s > 0 ? 0 : 1));
        passed += p; failed += f;
        if (f) { failures.push(`${name}: ${f} failed`); process.stdout.write(`✗ ${name}\n${clean}\n`); }
        else {
          // A passing file's output is hidden, except the counts the reliability suite reports,
          // the consumer test's sizes and times, and the runtime suite's versions and times.
          const counts = clean.split('\n').map((l) => l.replace(/^[•✘\s]+/, '')).filter((l) => /^\[(reliability|consumer|runtimes)\]/.test(l));
          process.stdout.write(`✓ ${name} (${p})\n${counts.map((l) => `    ${l}\n`).join('')}`);
        }
      }
      const left = leftovers(tmp);
      if (left.length) {
        failed += 1;
        const shown = left.slice(0, 5).join(', ') + (left.length > 5 ? `, … (${left.length} in all)` : '');
        failures.push(`${name}: left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp dir: ${shown}`);
        process.stdout.write(`✗ ${name} left files in its temp dir: ${shown}\n`);
      }
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(Array.from({ length: CONCURRENCY }, async () => { while (queue.length) await runOne(queue.shift()); }));
rmSync(runTmp, { recursive: true, force: true });
if (files.length === 0) { failed += 1; failures.push('no test files found (did the build run?)'); }
if (failures.length) process.stdout.write(`\nFailures:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exitCode = failed ? 1 : 0;
