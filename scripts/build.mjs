// Transpiles every TypeScript file on its own (unbundled, like astro's plumbing; the one
// exception is the writer thread's entry, bundled below):
// packages/<pkg>/{src,test} -> packages/<pkg>/dist/{src,test}, scripts -> dist-scripts,
// test -> dist-test. Type checking is tsc's job (`pnpm typecheck`, or `--types` below, which
// also emits each package's .d.ts into dist/src).
import { build } from 'esbuild';
import { readdirSync, statSync, existsSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { join, relative, dirname } from 'node:path';
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
    const m = /^(.*?)(\.d\.ts|\.js|\.js\.map)$/.exec(name);
    if (m && !existsSync(joinPath(srcBase, `${m[1]}.ts`))) rmSync(p);
  }
}

// Maps left in dist/src by a build from before src stopped having them.
function dropMaps(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = joinPath(dir, name);
    if (statSync(p).isDirectory()) dropMaps(p);
    else if (name.endsWith('.js.map')) rmSync(p);
  }
}

const common = { bundle: false, format: 'esm', platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
const jobs = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg);
  // A package's src is what it ships (dist/src): no source maps there, since their sources
  // (src/*.ts) are not shipped and a map pointing at nothing makes bundlers warn. Tests keep maps.
  const src = tsFiles(join(dir, 'src')), tests = tsFiles(join(dir, 'test'));
  const out = { outbase: dir, outdir: join(dir, 'dist') };
  jobs.push(Promise.all([
    src.length && build({ ...common, ...out, entryPoints: src, sourcemap: false }),
    tests.length && build({ ...common, ...out, entryPoints: tests }),
  ]).then(() => { prune(join(dir, 'dist'), dir); dropMaps(join(dir, 'dist', 'src')); }));
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
  entryPoints: [join(root, 'packages/core/src/writer/writer-worker.ts')],
  outfile: join(root, 'packages/core/dist/src/writer/writer-worker.js'),
  sourcemap: false,
  // proper-lockfile is CommonJS and requires node builtins: give the ESM bundle a require.
  banner: { js: "import { createRequire as __twCreateRequire } from 'node:module'; const require = __twCreateRequire(import.meta.url);" },
});

// `--types`: one TypeScript program over the whole repository (tsconfig.json: sources, tests,
// scripts) type-checks everything and emits declarations for the packages' sources only,
// packages/<pkg>/src/x.ts -> packages/<pkg>/dist/src/x.d.ts, beside esbuild's JS. That is
// what `exports` points `types` at, so a consumer's compiler never reads our .ts sources
// (nor checks them under its own settings). Any error fails the build.
if (process.argv.includes('--types')) {
  const { default: ts } = await import('typescript');
  const host = { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } };
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {
    noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: root, outDir: join(root, 'dist-types'),
  }, host);
  const program = ts.createProgram({ rootNames: config.fileNames, options: config.options, projectReferences: config.projectReferences });
  // tsc would write packages/core/src/x.ts's declarations to dist-types/packages/core/src/x.d.ts
  // (an outDir inside packages/ would exclude the sources); writeFile puts them in
  // packages/core/dist/src/x.d.ts instead, so dist-types is never created.
  const outOf = (file) => {
    const [, pkg, ...rest] = relative(join(root, 'dist-types'), file).split(/[\\/]/);
    return join(root, 'packages', pkg, 'dist', ...rest);
  };
  const writeFile = (file, text) => { const to = outOf(file); mkdirSync(dirname(to), { recursive: true }); writeFileSync(to, text); };
  const isSource = (f) => /^packages[\\/][^\\/]+[\\/]src[\\/]/.test(relative(root, f)) && !f.endsWith('.d.ts');
  const diagnostics = [...ts.getPreEmitDiagnostics(program)];
  for (const sf of program.getSourceFiles()) {
    if (isSource(sf.fileName)) diagnostics.push(...program.emit(sf, writeFile, undefined, true).diagnostics);
  }
  if (diagnostics.length) {
    const format = process.stderr.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
    process.stderr.write(format(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
    process.stderr.write(`\nbuild --types: ${diagnostics.length} error(s)\n`);
    process.exit(1);
  }
  for (const pkg of readdirSync(join(root, 'packages'))) prune(join(root, 'packages', pkg, 'dist', 'src'), join(root, 'packages', pkg, 'src'));
}
console.log(`built ${relative(process.cwd(), root) || '.'}`);
