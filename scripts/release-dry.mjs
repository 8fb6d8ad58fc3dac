// `pnpm release:dry`: builds (declarations included), packs every workspace package the way
// `pnpm publish` would (workspace:* turned into versions) into a temp dir, and prints each
// tarball with its size, unpacked size and file count. Nothing is published; the tarballs
// are removed unless --keep is given (then their directory is printed); either way the last
// line says which. With --install it then installs the `threadwal` tarball into a scratch
// app with npm (the @threadwal/* packages from their tarballs, the rest from the registry)
// and fails if npm warns about an engine (EBADENGINE) on this Node: the check that every
// dependency supports the Node versions threadwal declares.
//   pnpm release:dry -- --keep
//   pnpm release:dry -- --install
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');
const install = process.argv.includes('--install');
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
  if (install) installCheck(packed.map((p) => p.filename));
  console.log(keep ? `tarballs kept in ${dest}` : 'tarballs removed (run with --keep to keep them and print where)');
} finally {
  if (!keep) rmSync(dest, { recursive: true, force: true });
}

/** npm install of the packed `threadwal` into a scratch app; exits 1 on an engine warning or a failed install. */
function installCheck(tarballs) {
  const app = mkdtempSync(join(tmpdir(), 'threadwal-install-'));
  try {
    const byName = (n) => tarballs.find((f) => basename(f).startsWith(`${n}-`) && /^\d/.test(basename(f).slice(n.length + 1)));
    const overrides = {};
    for (const n of ['core', 'client', 'maintenance', 'cli', 'ship']) overrides[`@threadwal/${n}`] = `file:${byName(`threadwal-${n}`)}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module', overrides }, null, 2));
    const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', byName('threadwal')], { cwd: app, encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    const engine = out.split('\n').filter((l) => /EBADENGINE/.test(l));
    console.log(`npm install of threadwal on Node ${process.versions.node}: ${r.status === 0 ? 'installed' : `failed (${r.status})`}, ${engine.length ? `engine warnings:\n${engine.join('\n')}` : 'no engine warning'}`);
    if (r.status !== 0) console.log(out);
    if (r.status !== 0 || engine.length) process.exitCode = 1;
  } finally {
    rmSync(app, { recursive: true, force: true });
  }
}
