// The source tree as a reader meets it: no import cycles inside a package (a cycle hides
// which module is the foundation and breaks under esbuild's file-by-file output when one
// side reads the other during evaluation), and no package importing itself through its own
// name (human-units.ts once imported WalError from '@threadwal/core', a six-file cycle).
// And no source file over MAX_LINES (STYLE.md: small single-purpose files).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = readdirSync(join(root, 'packages'));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') && !n.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports (static `import`/`export … from`, not `import type`) of a file, as absolute .ts paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)[^'";]*?from\s+'(\.{1,2}\/[^']+)\.js'/gm)) {
    out.push(resolve(dirname(file), `${m[1]}.ts`));
  }
  return out;
}

/** Strongly connected components with more than one file, or a file importing itself. */
function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, imports(f).filter((g) => files.includes(g))]));
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); on.add(v);
    for (const w of graph.get(v)!) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || graph.get(v)!.includes(v)) found.push(scc.map((f) => relative(root, f)));
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

for (const pkg of packages) {
  test(`${pkg}: no import cycles among its sources`, () => {
    const found = cycles(sources(join(root, 'packages', pkg, 'src')));
    assert.equal(found, [], `cycles: ${JSON.stringify(found, null, 1)}`);
  });
  test(`${pkg}: no source imports its own package by name`, () => {
    const name = (JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as { name: string }).name;
    const selfImports = sources(join(root, 'packages', pkg, 'src'))
      .filter((f) => new RegExp(`from\\s+'${name.replace('/', '\\/')}(/[^']*)?'`).test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    assert.equal(selfImports, []);
  });
}

const MAX_LINES = 300;

test(`no source file over ${MAX_LINES} lines`, () => {
  const over = packages.flatMap((pkg) => sources(join(root, 'packages', pkg, 'src')))
    .map((f) => ({ file: relative(root, f).split(sep).join('/'), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((x) => x.lines > MAX_LINES);
  assert.equal(over, [], `split these by concern: ${JSON.stringify(over)}`);
});

test.run();
