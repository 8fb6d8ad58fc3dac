// Every package's `prepack` (npm pack, pnpm pack, publish): a tarball must never ship
// without its declarations, or a TypeScript consumer gets TS7016. Packing after a plain
// `pnpm build` (JS only) used to do exactly that. This checks that every src/**/*.ts of the
// package being packed has a dist/src .js and .d.ts at least as new as itself; if not, it
// runs the repository's build with --types once (the first package of `pnpm -r pack` pays
// for all of them) and checks again, refusing to pack when something is still missing.
//   THREADWAL_PREPACK_NO_BUILD=1  check only (tests)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkgDir = process.cwd();

function sources(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The built files missing or older than their source, as package-relative paths. */
function stale() {
  const out = [];
  for (const src of sources(join(pkgDir, 'src'))) {
    const rel = relative(join(pkgDir, 'src'), src).replace(/\.ts$/, '');
    const mtime = statSync(src).mtimeMs;
    for (const ext of ['.js', '.d.ts']) {
      const built = join(pkgDir, 'dist', 'src', rel + ext);
      if (!existsSync(built) || statSync(built).mtimeMs < mtime) out.push(relative(pkgDir, built));
    }
  }
  return out;
}

let missing = stale();
if (missing.length && process.env.THREADWAL_PREPACK_NO_BUILD !== '1' && existsSync(join(root, 'scripts', 'build.mjs'))) {
  console.error(`prepack: ${missing.length} built files missing or stale in ${relative(root, pkgDir) || '.'}; building with --types`);
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--types'], { stdio: 'inherit', cwd: root });
  missing = stale();
}
if (missing.length) {
  console.error(`prepack: refusing to pack without ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}; run \`pnpm build --types\` (or \`pnpm release:dry\`)`);
  process.exit(1);
}
