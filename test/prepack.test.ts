// No path packs a package without its declarations: each package's `prepack` runs
// scripts/prepack.mjs, which refuses (in check-only mode here; for real it builds with
// --types first) while a src file lacks its dist .js or .d.ts. Before it, `pnpm pack` after
// a plain `pnpm build` shipped no .d.ts and a TypeScript consumer got TS7016.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function npmPack(dir: string): { status: number | null; out: string } {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, THREADWAL_PREPACK_NO_BUILD: '1' } });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('every package runs the prepack check', () => {
  for (const pkg of ['core', 'client', 'maintenance', 'cli', 'ship', 'threadwal']) {
    const json = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    assert.is(json.scripts?.prepack, 'node ../../scripts/prepack.mjs', pkg);
  }
});

test('packing without declarations is refused, naming the missing file; with them it packs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'threadwal-prepack-'));
  try {
    mkdirSync(join(dir, 'src', 'sub'), { recursive: true });
    mkdirSync(join(dir, 'dist', 'src', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', files: ['dist/src'], scripts: { prepack: `node ${JSON.stringify(join(root, 'scripts', 'prepack.mjs'))}` } }));
    writeFileSync(join(dir, 'src', 'sub', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'dist', 'src', 'sub', 'a.js'), 'export const a = 1;\n'); // a plain build: JS only
    const refused = npmPack(dir);
    assert.is.not(refused.status, 0);
    assert.match(refused.out, 'refusing to pack without dist/src/sub/a.d.ts');
    writeFileSync(join(dir, 'dist', 'src', 'sub', 'a.d.ts'), 'export declare const a = 1;\n');
    const packed = npmPack(dir);
    assert.is(packed.status, 0, packed.out);
    assert.match(packed.out, '"path": "dist/src/sub/a.d.ts"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
