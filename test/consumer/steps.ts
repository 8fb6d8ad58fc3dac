// The steps of the consumer test: run a command as a user would, pack the workspace with
// pnpm (which turns workspace:* into versions), make a fresh npm project and install the
// tarballs into it (third-party dependencies from the registry, through npm's own cache).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, seen from dist-test/consumer/. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = join(ROOT, 'test', 'consumer', 'fixtures');
/** The repository's own TypeScript: a consumer's compiler of the version we build with. */
export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const PNPM = ['-y', 'pnpm@12.21.0'];

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

// What `pnpm test` puts in the environment (npm_config_*, npm_package_*, pnpm's own) is
// configuration for the monorepo, not for a user's project: npm and npx get none of it.
const userEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm|pnpm)_/i.test(k)));

/** Runs `cmd args` in `cwd`, stdin closed; a command still running after `timeoutMs` is killed (signal set). */
export function run(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: userEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** `run`, failing with the command's output unless it exited 0. */
export async function ok(cmd: string, args: string[], cwd: string, timeoutMs?: number): Promise<Run> {
  const r = await run(cmd, args, cwd, timeoutMs);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.code ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r;
}

export interface Tarball {
  name: string;
  version: string;
  filename: string;
  size: number;
}

/**
 * Packs every workspace package into `dest`. The declarations must have been built
 * (`node scripts/build.mjs --types`, which `pnpm test` runs): a package without them fails here.
 */
export async function packAll(dest: string): Promise<Tarball[]> {
  const missing = readdirSync(join(ROOT, 'packages')).filter((p) => !existsSync(join(ROOT, 'packages', p, 'dist', 'src', 'index.d.ts')));
  if (missing.length) throw new Error(`no dist/src/index.d.ts in ${missing.join(', ')}: run \`node scripts/build.mjs --types\` first`);
  mkdirSync(dest, { recursive: true });
  const r = await ok('npx', [...PNPM, '-r', 'pack', '--pack-destination', dest, '--json'], ROOT);
  const packed = JSON.parse(r.stdout) as Tarball[] | Tarball;
  return Array.isArray(packed) ? packed : [packed];
}

/** A fresh npm project in `dir` with every tarball and @types/node installed. */
export async function installAll(dir: string, tarballs: Tarball[]): Promise<Run> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'threadwal-consumer', version: '1.0.0', private: true, type: 'commonjs' }, null, 2)}\n`);
  // All tarballs at once: threadwal's "@threadwal/client": "0.1.0" is then satisfied by the
  // local tarball, never looked up on the registry. --prefer-offline: npm's cache answers
  // for what it already has (repeat runs install in a few seconds).
  return ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error',
    ...tarballs.map((t) => t.filename), '@types/node@^20.19.0'], dir, 120_000);
}

/** Bytes under `dir`, counted like du --apparent-size (symlinks not followed). */
export function sizeOf(dir: string, skip: (name: string) => boolean = () => false): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (skip(p)) continue;
    if (entry.isDirectory()) total += sizeOf(p, skip);
    else if (entry.isFile()) total += statSync(p).size;
  }
  return total;
}
