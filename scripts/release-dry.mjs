// `pnpm release:dry`: builds (declarations included), packs every workspace package the way
// `pnpm publish` would (workspace:* turned into versions) into a temp dir, and prints each
// tarball with its size, unpacked size and file count. Nothing is published; the tarballs
// are removed unless --keep is given (then their directory is printed); either way the last
// line says which.
//   pnpm release:dry -- --keep
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--types'], { stdio: 'inherit' });
const dest = mkdtempSync(join(tmpdir(), 'threadwal-release-'));
try {
  const out = execFileSync('npx', ['-y', 'pnpm@12.21.0', '-r', 'pack', '--pack-destination', dest, '--json'], { cwd: root, encoding: 'utf8' });
  const packed = [JSON.parse(out)].flat();
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`.padStart(10);
  let total = 0;
  console.log(`${'tarball'.padEnd(36)} ${'size'.padStart(10)} ${'unpacked'.padStart(10)}  files`);
  for (const p of packed.sort((a, b) => a.name.localeCompare(b.name))) {
    const list = execFileSync('tar', ['tzvf', p.filename], { encoding: 'utf8' }).trim().split('\n');
    const unpacked = list.reduce((n, line) => n + Number(line.trim().split(/\s+/)[2] ?? 0), 0);
    total += p.size;
    console.log(`${basename(p.filename).padEnd(36)} ${kib(p.size)} ${kib(unpacked)}  ${String(list.length).padStart(5)}`);
  }
  console.log(`${`${packed.length} packages`.padEnd(36)} ${kib(total)}`);
  console.log(keep ? `tarballs kept in ${dest}` : 'tarballs removed (run with --keep to keep them and print where)');
} finally {
  if (!keep) rmSync(dest, { recursive: true, force: true });
}
