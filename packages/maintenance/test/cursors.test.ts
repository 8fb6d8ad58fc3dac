import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readWal, commitCursor, readCursor, getCursor, listCursors, deleteCursor, cursorsDir, rotate, compress, cursorStatus, closePool } from '../src/index.js';
import { tempWal, lines, range, expectCode } from './helpers.js';

const TS = 1_700_000_000;
const dirs: string[] = [];
function wal(): string {
  const p = tempWal();
  dirs.push(dirname(p));
  return p;
}

async function take(path: string, n: number, cursor: string): Promise<{ seqs: number[]; reader: ReturnType<typeof readWal> }> {
  const reader = readWal(path, { cursor });
  const seqs: number[] = [];
  if (n > 0) {
    for await (const r of reader) {
      seqs.push(r.seq);
      if (seqs.length === n) break;
    }
  }
  return { seqs, reader };
}

test('readWal with a cursor resumes after the last committed seq', async () => {
  const path = wal();
  writeFileSync(path, lines(0, 10, () => TS));
  const a = await take(path, 4, 'shipper');
  assert.equal(a.seqs, [0, 1, 2, 3]);
  assert.is(await a.reader.commit(), 3);
  assert.is(await readCursor(path, 'shipper'), 3);
  const b = await take(path, 100, 'shipper');
  assert.equal(b.seqs, range(4, 10));
  // another cursor is independent
  assert.equal((await take(path, 100, 'other')).seqs, range(0, 10));
});

test('the file format is {"cursor","seq","ts"} in {path}.cursors/<name>', async () => {
  const path = wal();
  await commitCursor(path, 'shipper', 41);
  const text = readFileSync(join(cursorsDir(path), 'shipper'), 'utf8');
  const v = JSON.parse(text) as { cursor: string; seq: number; ts: number };
  assert.is(v.cursor, 'shipper');
  assert.is(v.seq, 41);
  assert.ok(Math.abs(v.ts - Date.now()) < 60_000);
  assert.ok(text.endsWith('}\n'));
  assert.equal(readdirSync(cursorsDir(path)), ['shipper'], 'no temp file left');
});

test('a cursor never moves backwards', async () => {
  const path = wal();
  assert.is(await commitCursor(path, 'c', 10), 10);
  assert.is(await commitCursor(path, 'c', 5), 10);
  assert.is(await readCursor(path, 'c'), 10);
  // concurrent commits in one process are applied in order and keep the highest
  const r = await Promise.all([commitCursor(path, 'c', 20), commitCursor(path, 'c', 15), commitCursor(path, 'c', 30)]);
  assert.equal(r, [20, 20, 30]);
  assert.is(await readCursor(path, 'c'), 30);
});

test('commit() never goes past what the reader yielded', async () => {
  const path = wal();
  writeFileSync(path, lines(0, 10, () => TS));
  const a = await take(path, 3, 'c');
  await expectCode(a.reader.commit(3), 'EINVAL');
  await expectCode(a.reader.commit(-1), 'EINVAL');
  assert.is(await readCursor(path, 'c'), -1);
  assert.is(await a.reader.commit(1), 1);
  const fresh = readWal(path, { cursor: 'c' });
  await expectCode(fresh.commit(2), 'EINVAL'); // nothing yielded yet
  await expectCode(readWal(path).commit(0), 'EINVAL'); // no cursor
});

test('a cursor resumes across rotated segments and fromSeq still applies', async () => {
  const path = wal();
  writeFileSync(`${path}.2`, lines(0, 5, () => TS));
  writeFileSync(`${path}.1`, lines(5, 5, () => TS));
  writeFileSync(path, lines(10, 5, () => TS));
  await commitCursor(path, 'c', 6);
  const out: number[] = [];
  for await (const r of readWal(path, { cursor: 'c' })) out.push(r.seq);
  assert.equal(out, range(7, 15));
  const later: number[] = [];
  for await (const r of readWal(path, { cursor: 'c', fromSeq: 12 })) later.push(r.seq);
  assert.equal(later, [12, 13, 14]);
});

test('listCursors, getCursor and deleteCursor; dot files (temps) are not cursors', async () => {
  const path = wal();
  assert.equal(await listCursors(path), []);
  await commitCursor(path, 'b', 2);
  await commitCursor(path, 'a', 1);
  writeFileSync(join(cursorsDir(path), '.a.tmp-999999-abc'), '{"cursor":"a","se');
  const list = await listCursors(path);
  assert.equal(list.map((c) => [c.name, c.seq]), [['a', 1], ['b', 2]]);
  assert.is((await getCursor(path, 'zz')), undefined);
  assert.ok(await deleteCursor(path, 'a'));
  assert.not.ok(await deleteCursor(path, 'a'));
  assert.equal((await listCursors(path)).map((c) => c.name), ['b']);
});

test('a damaged cursor file is ECORRUPT, a bad name EINVAL', async () => {
  const path = wal();
  mkdirSync(cursorsDir(path), { recursive: true });
  writeFileSync(join(cursorsDir(path), 'x'), 'garbage');
  await expectCode(readCursor(path, 'x'), 'ECORRUPT');
  await expectCode(async () => commitCursor(path, '../evil', 1), 'EINVAL');
  await expectCode(async () => commitCursor(path, '.hidden', 1), 'EINVAL');
  await expectCode(async () => commitCursor(path, 'ok', 1.5), 'EINVAL');
  assert.throws(() => readWal(path, { cursor: '' }), (e: { code?: string }) => e.code === 'EINVAL');
  assert.not.ok(existsSync(join(cursorsDir(path), 'ok')));
});

test('a cursor survives rotation: it names seqs, not offsets', async () => {
  const path = wal();
  writeFileSync(path, lines(0, 6, () => TS));
  const a = await take(path, 3, 'c');
  await a.reader.commit();
  await rotate(path, 0, 3);
  writeFileSync(path, lines(6, 2, () => TS), { flag: 'a' });
  assert.equal((await take(path, 100, 'c')).seqs, [3, 4, 5, 6, 7]);
});

test('cursorStatus: lag in events and exact bytes across plain segments, estimated inside a .gz', async () => {
  const path = wal();
  const seg2 = lines(0, 500, () => TS);
  const seg1 = lines(500, 500, () => TS);
  const active = lines(1000, 20, () => TS);
  writeFileSync(`${path}.2`, seg2);
  writeFileSync(`${path}.1`, seg1);
  writeFileSync(path, active);
  assert.equal(await cursorStatus(path), []);
  await commitCursor(path, 'mid', 700);
  await commitCursor(path, 'done', 1019);
  await commitCursor(path, 'zero', 0);
  const byName = new Map((await cursorStatus(path)).map((c) => [c.name, c]));
  const after = (text: string, seq: number): number => text.length - text.indexOf(`{"seq":${seq + 1},`);
  assert.is(byName.get('mid')!.lagEvents, 319);
  assert.is(byName.get('mid')!.lagBytes, after(seg1, 700) + active.length);
  assert.not.ok(byName.get('mid')!.approximate);
  assert.is(byName.get('done')!.lagEvents, 0);
  assert.is(byName.get('done')!.lagBytes, 0);
  assert.is(byName.get('zero')!.lagEvents, 1019);
  assert.is(byName.get('zero')!.lagBytes, after(seg2, 0) + seg1.length + active.length);
  await compress(path);
  const gz = (await cursorStatus(path)).find((c) => c.name === 'mid')!;
  assert.ok(gz.approximate);
  assert.ok(Math.abs(gz.lagBytes - (after(seg1, 700) + active.length)) < 200, `estimate ${gz.lagBytes}`);
});

test.after(async () => {
  await closePool();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
test.run();
