// The progress bar: drawn on a TTY (bytes, rate, ETA), silent otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { startProgress } from '../src/progress.js';
import { threadwal, tempWal, writeLines } from './helpers.js';

/** A writable that says it is a TTY, as cli-progress checks, and keeps what it got. */
function fakeTty(): { stream: NodeJS.WriteStream; text: () => string } {
  let out = '';
  const w = new Writable({ write(chunk, _enc, cb) { out += chunk.toString(); cb(); } });
  Object.assign(w, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream: w as unknown as NodeJS.WriteStream, text: () => out };
}

test('on a TTY: label, bytes done of total, rate and ETA', () => {
  const tty = fakeTty();
  const bar = startProgress('verify', 8 * 1024 * 1024, { stream: tty.stream });
  bar.update(2 * 1024 * 1024);
  bar.stop();
  bar.stop(); // idempotent
  const text = tty.text();
  assert.match(text, 'verify');
  assert.match(text, '2.0 MiB / 8.0 MiB');
  assert.match(text, /\/s/);
  assert.match(text, 'ETA');
});

test('not on a TTY: nothing at all', () => {
  const tty = fakeTty();
  Object.assign(tty.stream, { isTTY: false });
  const bar = startProgress('verify', 100, { stream: tty.stream });
  bar.update(50);
  bar.stop();
  assert.is(tty.text(), '');
});

test('commands with stderr in a pipe print no bar', async () => {
  const path = tempWal();
  writeLines(path, 0, 1000);
  const r = await threadwal(['verify', path]);
  assert.is(r.code, 0);
  assert.is(r.stderr, '');
});

test.run();
