// pinoDestination in-process, with a real pino: the record shape, job_id resolution, custom
// levels, lines that are not JSON, backpressure, errors, and the transport target's framing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { openWal } from '../src/index.js';
import { pinoDestination, type PinoDestination } from '../src/pino/pino.js';
import threadwalTransport from '../src/pino/pino-transport.js';
import { tempWal, readLines, fixture } from './helpers.js';

type Rec = { seq: number; ts: number; type: string; job_id: string; output: Record<string, unknown> | string; error?: string };
const recs = (path: string): Rec[] => readLines(path) as unknown as Rec[];
const cleanup = (path: string): void => rmSync(dirname(path), { recursive: true, force: true });

async function closeDest(dest: PinoDestination): Promise<void> {
  await new Promise<void>((resolve, reject) => dest.end((err) => (err ? reject(err) : resolve())));
}

test('record shape: seq, ts in seconds, level label as type, job_id, the pino line verbatim as output, error from level 50', async () => {
  const path = tempWal();
  const dest = pinoDestination(path);
  const logger = pino({ base: { pid: 1, hostname: 'h' } }, dest);
  const before = Math.floor(Date.now() / 1000);
  logger.info({ job_id: 'from-merge', a: 1 }, 'merge');
  logger.child({ job_id: 'from-binding' }).warn('binding');
  pino({ name: 'svc' }, dest).debug('hidden');
  pino({ name: 'svc' }, dest).error(new Error('kaput'), 'named');
  logger.error({ err: { message: 'plain' } }, 'plain err');
  logger.fatal('no err');
  await dest.durable();
  await closeDest(dest);
  const all = recs(path);
  assert.equal(all.map((r) => r.type), ['info', 'warn', 'error', 'error', 'fatal']);
  assert.equal(all.map((r) => r.job_id), ['from-merge', 'from-binding', 'svc', 'pino', 'pino']);
  assert.equal(all.map((r) => r.error), [undefined, undefined, 'kaput', 'plain', undefined]);
  assert.ok(all.every((r) => r.ts >= before && r.ts <= before + 60));
  const first = all[0]!.output as Record<string, unknown>;
  assert.equal(first, { level: 30, time: first.time, pid: 1, hostname: 'h', job_id: 'from-merge', a: 1, msg: 'merge' });
  cleanup(path);
});

test('jobIdKey picks another key; a child of a child and setBindings are followed', async () => {
  const path = tempWal();
  const dest = pinoDestination(path, { jobIdKey: 'req' });
  const logger = pino(dest);
  const child = logger.child({ req: 'r1' });
  child.info('a');
  child.child({ other: 1 }).info('b');
  child.setBindings({ req: 'r2' });
  child.info('c');
  logger.info({ req: 7 }, 'd');
  await closeDest(dest);
  assert.equal(recs(path).map((r) => r.job_id), ['r1', 'r1', 'r2', '7']);
  cleanup(path);
});

test('custom levels (from PINO_CONFIG) name the type; syncLevel may be a custom label', async () => {
  const path = tempWal();
  const dest = pinoDestination(path, { syncLevel: 'audit' });
  const logger = pino({ customLevels: { audit: 35 } }, dest);
  logger.audit('custom');
  assert.is(recs(path).length, 1, 'an audit line is durable when the call returns');
  await closeDest(dest);
  assert.is(recs(path)[0]!.type, 'audit');
  cleanup(path);
});

test('an unknown syncLevel label is EINVAL once pino tells its levels', async () => {
  const path = tempWal();
  const dest = pinoDestination(path, { syncLevel: 'nope' });
  assert.throws(() => pino(dest), (err: { code?: string }) => err.code === 'EINVAL');
  await closeDest(dest);
  cleanup(path);
});

test('a line that is not one JSON object is stored as a JSON string, and reported', async () => {
  const path = tempWal();
  const dest = pinoDestination(path);
  const unknown: string[] = [];
  dest.on('unknown', (l: string) => unknown.push(l));
  const warnings: string[] = [];
  const onWarning = (w: Error & { code?: string }): void => { if (w.code === 'THREADWAL_PINO_UNKNOWN') warnings.push(w.message); };
  process.on('warning', onWarning);
  const logger = pino({ hooks: { streamWrite: (s: string) => `PREFIX ${s}` } }, dest);
  logger.info('one');
  logger.info('two');
  await closeDest(dest);
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  const all = recs(path);
  assert.is(all.length, 2);
  assert.is(typeof all[0]!.output, 'string');
  assert.match(all[0]!.output as string, /^PREFIX \{"level":30,.*"msg":"one"\}$/);
  assert.is(unknown.length, 2);
  assert.is(warnings.length, 1, 'warned once');
  cleanup(path);
});

test('a line with a raw line break inside is kept whole, as a JSON string', async () => {
  const path = tempWal();
  const dest = pinoDestination(path);
  pino({ hooks: { streamWrite: (s: string) => s.replace('"msg"', '\n"msg"') } }, dest).info('broken');
  await closeDest(dest);
  const all = recs(path);
  assert.is(all.length, 1);
  assert.match(all[0]!.output as string, /^\{"level":30,.*\n"msg":"broken"\}$/);
  cleanup(path);
});

test('write() without pino metadata reads level, time and job_id from the line', async () => {
  const path = tempWal();
  const dest = pinoDestination(path);
  dest.write('{"level":40,"time":1700000000000,"job_id":"direct","msg":"x"}\n');
  dest.write('{"level":"error","name":"n","msg":"y"}\n');
  await closeDest(dest);
  const all = recs(path);
  assert.equal(all.map((r) => [r.type, r.job_id]), [['warn', 'direct'], ['error', 'n']]);
  assert.is(all[0]!.ts, 1700000000);
  cleanup(path);
});

test("onBackpressure 'drop' counts the lines and emits 'drop'; 'block' keeps every line within maxPendingBytes", async () => {
  for (const mode of ['drop', 'block'] as const) {
    const path = tempWal();
    const dest = pinoDestination(path, { onBackpressure: mode, maxPendingBytes: 4096 });
    await dest.ready;
    let drops = 0;
    dest.on('drop', () => { drops += 1; });
    const logger = pino(dest);
    // One synchronous burst of ~40 KB, ten times maxPendingBytes: nothing is acked in between.
    for (let i = 0; i < 200; i++) logger.info({ i, pad: 'p'.repeat(100) }, 'line');
    await closeDest(dest);
    const n = recs(path).length;
    if (mode === 'drop') {
      assert.ok(drops > 0, 'some lines were dropped');
      assert.is(dest.dropped, drops);
      assert.is(n + drops, 200);
    } else {
      assert.is(drops, 0);
      assert.is(n, 200);
      assert.equal(recs(path).map((r) => (r.output as { i: number }).i), Array.from({ length: 200 }, (_, i) => i));
    }
    cleanup(path);
  }
});

test('a line over maxEventBytes is dropped and counted, not thrown into the log call', async () => {
  const path = tempWal();
  const dest = pinoDestination(path, { maxEventBytes: 1024 });
  const logger = pino(dest);
  logger.info({ big: 'x'.repeat(5000) }, 'too big');
  logger.info('fits');
  await closeDest(dest);
  assert.is(dest.dropped, 1);
  assert.equal(recs(path).map((r) => (r.output as { msg: string }).msg), ['fits']);
  cleanup(path);
});

test('bad options are EINVAL at the call', () => {
  const path = tempWal();
  const bad: unknown[] = [null, 5, { jobIdKey: '' }, { syncLevel: {} }, { onBackpressure: 'wait' }, { signals: 'yes' }, { maxPendingBytes: -1 }];
  for (const o of bad) assert.throws(() => pinoDestination(path, o as never), (err: { code?: string }) => err.code === 'EINVAL', JSON.stringify(o));
  assert.throws(() => pinoDestination('' as string), (err: { code?: string }) => err.code === 'EINVAL');
  assert.throws(() => pinoDestination(5 as unknown as string), (err: { code?: string }) => err.code === 'EINVAL');
  cleanup(path);
});

test("a WAL that cannot be opened: ready rejects and 'error' is emitted", async () => {
  const path = join(dirname(tempWal()), 'dir-not-file');
  mkdirSync(join(path, 'sub'), { recursive: true });
  const dest = pinoDestination(path);
  const emitted = new Promise<{ code?: string }>((r) => dest.once('error', r));
  pino(dest).info('lost');
  let code: string | undefined;
  await dest.ready.catch((e: { code?: string }) => { code = e.code; });
  assert.ok(code);
  assert.ok((await emitted).code);
  // The line is lost, and close() reports it; left open, the exit hook would (exit code 1, issue 10).
  await dest.wal.close().catch(() => undefined);
  cleanup(path);
});

test("an fdatasync failure: flush(cb) gets EFSYNC, the next line emits 'error' once, and no log call throws", async () => {
  const path = tempWal();
  const dest = pinoDestination(path, { faultInjection: fixture('eio-fsync.mjs') });
  const logger = pino(dest);
  logger.info('durable');
  await dest.durable();
  logger.info('lost');
  const flushErr = await new Promise<{ code?: string } | null | undefined>((r) => logger.flush((err) => r(err as { code?: string })));
  assert.is(flushErr?.code, 'EFSYNC');
  const errors: Array<{ code?: string }> = [];
  dest.on('error', (e: { code?: string }) => errors.push(e));
  logger.info('after'); // appendRawNoWait throws EFSYNC inside write(): emitted, not thrown
  logger.info('after again');
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.map((e) => e.code), ['EFSYNC']);
  await new Promise<void>((r) => dest.end(() => r()));
  // 'lost' reached the file before its fdatasync failed (not durable); nothing after the failure did.
  const msgs = recs(path).map((x) => (x.output as { msg: string }).msg);
  assert.is(msgs[0], 'durable');
  assert.not.ok(msgs.includes('after') || msgs.includes('after again'));
  cleanup(path);
});

test('a Wal passed in is shared and not closed by end(); durable() gives the last durable seq', async () => {
  const path = tempWal();
  const wal = await openWal<string>(path);
  await wal.append({ type: 'job_started', job_id: 'j' });
  const dest = pinoDestination(wal);
  pino(dest).info('x');
  assert.is(await dest.durable(), 1);
  await closeDest(dest);
  assert.is(await wal.append({ type: 'job_completed', job_id: 'j' }), 2);
  await wal.close();
  cleanup(path);
});

test('transport target: lines split across chunks are framed; flush is durable; end emits close', async () => {
  const path = tempWal();
  const target = await threadwalTransport({ path, $context: {}, pinoWillSendConfig: true } as never);
  target.write('{"level":30,"msg":"a","job_id":"t"}\n{"level":40,"ms');
  target.write('g":"b"}\n{"level":50,"msg":"c","err":{"message":"m"}}');
  await new Promise<void>((resolve, reject) => target.flush((err) => (err ? reject(err) : resolve())));
  assert.is(recs(path).length, 2, 'the unfinished tail waits for its newline');
  await new Promise<void>((r) => { target.once('close', () => r()); target.end(); });
  const all = recs(path);
  assert.equal(all.map((r) => [r.type, r.job_id, (r.output as { msg: string }).msg]), [['info', 't', 'a'], ['warn', 'pino', 'b'], ['error', 'pino', 'c']]);
  assert.is(all[2]!.error, 'm');
  cleanup(path);
});

test('transport target without a path is EINVAL', async () => {
  let code: string | undefined;
  await threadwalTransport({} as never).catch((e: { code?: string }) => { code = e.code; });
  assert.is(code, 'EINVAL');
});

test.run();
