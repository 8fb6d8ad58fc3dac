// Issue 22, item 8: the permissions of a log's files are the user's choice. openWal's `mode`
// sets the active file (on creation and at every rotation) and `.meta`; every other file takes
// the mode of the file it replaces or derives from: rotated and compressed segments, a
// segment cleanup rewrote, cursor and ship checkpoint files. The mode is set exactly (fchmod),
// so the umask of whichever process makes the file does not apply: this test runs under umask
// 077, which would otherwise strip 0o640 to 0o600.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWal } from '@threadwal/client';
import { rotate, cleanup, compress, commitCursor } from '@threadwal/maintenance';
import { FileCheckpoint } from '@threadwal/ship';

const dirs: string[] = [];
const umask = process.umask(0o077);
process.on('exit', () => {
  process.umask(umask);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempWal(): string {
  const d = mkdtempSync(join(tmpdir(), 'threadwal-mode-'));
  dirs.push(d);
  return join(d, 'app.wal');
}

const modeOf = (p: string): number => statSync(p).mode & 0o777;
const oct = (m: number): string => `0o${m.toString(8)}`;

/** Every file in the WAL's directory (the cursors and ship directories' files included) with its mode. */
function modes(path: string): Record<string, string> {
  const dir = join(path, '..');
  const out: Record<string, string> = {};
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) for (const m of readdirSync(p)) out[`${n}/${m}`] = oct(modeOf(join(p, m)));
    else out[n] = oct(modeOf(p));
  }
  return out;
}

const ev = (i: number, ts = Math.floor(Date.now() / 1000)) => ({ type: 'job_started' as const, job_id: `j${i}`, ts, output: 'x'.repeat(100) });

test('mode 0o640: the active file and .meta get it exactly (umask 077 does not strip the group bit)', async () => {
  const path = tempWal();
  const wal = await openWal(path, { mode: 0o640 });
  await wal.append(ev(0));
  await wal.close();
  assert.equal(modes(path), { 'app.wal': '0o640', 'app.wal.meta': '0o640' });
});

test('mode 0o600 spreads: writer rotations, maintenance rotate, compress, cleanup, cursors and the ship checkpoint', async () => {
  const path = tempWal();
  const old = Math.floor(Date.now() / 1000) - 3 * 86400;
  const wal = await openWal(path, { mode: 0o600, rotate: { maxSizeBytes: 1500, maxRotations: 10 } });
  for (let i = 0; i < 40; i++) await wal.append(ev(i, i < 20 ? old : undefined));
  await wal.close();
  await rotate(path, 0, 10); // a fresh active file, made by maintenance
  await commitCursor(path, 'reader', 3);
  await commitCursor(path, 'reader', 5); // replaces the file: keeps its mode
  await new FileCheckpoint(path, 'ship').commit({ walId: 'x', stream: 's', subject: 'x', base: 0, ackedSeq: 2, ts: 0 });
  await cleanup(path, 86400); // deletes old segments, rewrites the one with both old and new events
  await compress(path);
  const m = modes(path);
  assert.ok(Object.keys(m).some((n) => n.endsWith('.gz')), `compressed segments: ${JSON.stringify(m)}`);
  for (const [name, mode] of Object.entries(m)) assert.is(mode, '0o600', `${name}: ${JSON.stringify(m)}`);
});

test('without `mode`: 0o644 less the umask on creation, as fs.open; later files keep the mode an operator gave the log', async () => {
  const path = tempWal();
  const wal = await openWal(path, { rotate: { maxSizeBytes: 1500, maxRotations: 10 } });
  await wal.append(ev(0));
  assert.is(modeOf(path), 0o600, '0o644 & ~0o077');
  chmodSync(path, 0o640);
  chmodSync(`${path}.meta`, 0o640);
  for (let i = 1; i < 40; i++) await wal.append(ev(i));
  await wal.close();
  await compress(path);
  await commitCursor(path, 'reader', 1);
  const m = modes(path);
  assert.ok(Object.keys(m).some((n) => n.endsWith('.gz')));
  for (const [name, mode] of Object.entries(m)) assert.is(mode, '0o640', `${name}: ${JSON.stringify(m)}`);
});

test('an existing file keeps its mode: `mode` applies to files threadwal creates', async () => {
  const path = tempWal();
  writeFileSync(path, '');
  chmodSync(path, 0o604);
  const wal = await openWal(path, { mode: 0o600 });
  await wal.append(ev(0));
  await wal.close();
  assert.is(modeOf(path), 0o604);
  assert.is(modeOf(`${path}.meta`), 0o600, '.meta is new: it gets the option');
});

test.run();
