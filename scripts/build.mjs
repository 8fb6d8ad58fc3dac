// Transpiles every TypeScript file on its own (unbundled, like astro's plumbing; the one
// exception is the writer thread's entry, bundled below):
// packages/<pkg>/{src,test} -> packages/<pkg>/dist/{src,test}, scripts -> dist-scripts,
// test -> dist-test. Type checking is tsc's job (`pnpm typecheck`); `--types` also
// emits .d.ts files for each package into dist/src.
import { build } from 'esbuild';
import { readdirSync, statSync, existsSync, rmSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// Output is overwritten in place (never rm -rf'd first, so a test running meanwhile keeps
// its files); outputs whose source is gone are pruned, so a deleted test cannot still run.
function prune(outDir, srcBase) {
  if (!existsSync(outDir)) return;
  for (const name of readdirSync(outDir)) {
    const p = joinPath(outDir, name);
    if (statSync(p).isDirectory()) { prune(p, joinPath(srcBase, name)); continue; }
    const m = /^(.*)\.js(\.map)?$/.exec(name);
    if (m && !existsSync(joinPath(srcBase, `${m[1]}.ts`))) rmSync(p);
  }
}

const common = { bundle: false, format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
const jobs = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg);
  const entryPoints = [...tsFiles(join(dir, 'src')), ...tsFiles(join(dir, 'test'))];
  if (entryPoints.length) jobs.push(build({ ...common, entryPoints, outbase: dir, outdir: join(dir, 'dist') }).then(() => prune(join(dir, 'dist'), dir)));
}
for (const [from, to] of [['scripts', 'dist-scripts'], ['test', 'dist-test']]) {
  const entryPoints = tsFiles(join(root, from));
  if (entryPoints.length) jobs.push(build({ ...common, entryPoints, outbase: join(root, from), outdir: join(root, to) }).then(() => prune(join(root, to), join(root, from))));
}
await Promise.all(jobs);

// The writer thread's entry is then bundled over its per-file output, its dependencies
// (comlink, proper-lockfile and its CJS deps) included: a new thread loads one module
// instead of ~20, which takes ~30 ms off every openWal (a bare Worker start is ~47 ms here).
await build({
  ...common,
  bundle: true,
  entryPoints: [join(root, 'packages/core/src/writer-worker.ts')],
  outfile: join(root, 'packages/core/dist/src/writer-worker.js'),
  // proper-lockfile is CommonJS and requires node builtins: give the ESM bundle a require.
  banner: { js: "import { createRequire as __twCreateRequire } from 'node:module'; const require = __twCreateRequire(import.meta.url);" },
});

if (process.argv.includes('--types')) {
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const dir = join(root, 'packages', pkg);
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json'),
      '--noEmit', 'false', '--declaration', '--emitDeclarationOnly', '--rootDir', dir, '--outDir', join(dir, 'dist')], { stdio: 'inherit' });
  }
}
console.log(`built ${relative(process.cwd(), root) || '.'}`);
