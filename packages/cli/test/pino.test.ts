// `cat --pino` / `tail -f --pino` give back the lines pino wrote, for pino-pretty; --min-level
// and --job filter. The WAL is written by a real pino through pinoDestination.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pino from 'pino';
import { pinoDestination } from '@threadwal/client/pino';
import { threadwal, start, collect, tempWal, until } from './helpers.js';

/** Logs a few lines through a pino that also captures each line it wrote; returns those lines. */
async function writePinoWal(path: string): Promise<string[]> {
  const dest = pinoDestination(path);
  const written: string[] = [];
  const logger = pino({ hooks: { streamWrite: (s: string) => (written.push(s.slice(0, -1)), s) } }, dest);
  logger.info({ job_id: 'a', n: 1, nested: { x: [1, 'é'] } }, 'first');
  logger.child({ job_id: 'b' }).warn('second');
  logger.error(new Error('boom'), 'third');
  logger.debug('not logged');
  await new Promise<void>((resolve, reject) => dest.end((err) => (err ? reject(err) : resolve())));
  return written;
}

test('cat --pino prints the original pino lines, byte for byte', async () => {
  const path = tempWal();
  const lines = await writePinoWal(path);
  const r = await threadwal(['cat', path, '--pino']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, lines.map((l) => `${l}\n`).join(''));
  rmSync(dirname(path), { recursive: true, force: true });
});

test('--min-level and --job filter, also with --json; records without a pino line are skipped by --pino', async () => {
  const path = tempWal();
  const lines = await writePinoWal(path);
  appendFileSync(path, '{"seq":3,"ts":1715800000,"type":"job_started","job_id":"b"}\n');
  const warn = await threadwal(['cat', path, '--pino', '--min-level', 'warn']);
  assert.is(warn.stdout, `${lines[1]}\n${lines[2]}\n`);
  const jobB = await threadwal(['cat', path, '--pino', '--job', 'b']);
  assert.is(jobB.stdout, `${lines[1]}\n`);
  const json = await threadwal(['cat', path, '--json', '--job', 'b']);
  assert.equal(json.stdout.trim().split('\n').map((l) => JSON.parse(l).seq), [1, 3]);
  const numeric = await threadwal(['cat', path, '--pino', '--min-level', '50']);
  assert.is(numeric.stdout, `${lines[2]}\n`);
  rmSync(dirname(path), { recursive: true, force: true });
});

test('bad --min-level and --pino with --json are usage errors (exit 2)', async () => {
  const path = tempWal();
  writeFileSync(path, '');
  assert.is((await threadwal(['cat', path, '--pino', '--min-level', 'loud'])).code, 2);
  assert.is((await threadwal(['cat', path, '--pino', '--json'])).code, 2);
  rmSync(dirname(path), { recursive: true, force: true });
});

test('tail -f --pino prints new pino lines as they become durable', async () => {
  const path = tempWal();
  const lines = await writePinoWal(path);
  const child = start(['tail', '-f', path, '--pino', '-n', '1']);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
  await until(() => out.includes(lines[2]!));
  const dest = pinoDestination(path);
  pino(dest).info({ job_id: 'c' }, 'later');
  await dest.durable();
  await until(() => out.includes('"msg":"later"'));
  child.kill('SIGINT');
  const r = await collect(child);
  assert.is(r.code, 130, r.stderr); // a follower ended by Ctrl-C: one line, exit 130 (issue 10, item 9)
  const printed = out.trim().split('\n');
  assert.is(printed[0], lines[2]);
  assert.is(JSON.parse(printed[1]!).msg, 'later');
  await new Promise<void>((resolve) => dest.end(() => resolve()));
  rmSync(dirname(path), { recursive: true, force: true });
});

test.run();
