// Issue 21: the job_id of a pino line from the logger's bindings, with a child logger per
// request (Fastify's reqId) costing no bindings() parse, and read from pino's chindings
// string exactly as bindings() would give it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pino from 'pino';
import { idInChindings } from '../src/pino/chindings.js';
import { BindingsCache, idIn } from '../src/pino/pino-record.js';

/** What the old way gives: bindings() parsed, then idIn. */
const viaParse = (ch: string, key: string): string | undefined => idIn(JSON.parse(`{${ch.slice(1)}}`), key);

test('idInChindings reads a top-level key as bindings() + idIn would', () => {
  const cases: Array<Record<string, unknown>> = [
    { pid: 1, hostname: 'h', reqId: 'req-1' },
    { job_id: 'j1' },
    { job_id: 42 },
    { job_id: -1.5e3 },
    { job_id: '' },
    { job_id: null },
    { job_id: true },
    { job_id: { nested: 1 } },
    { req: { job_id: 'nested-not-top' } },
    { req: { job_id: 'inner' }, job_id: 'outer' },
    { arr: [1, { job_id: 'x' }, '"job_id":"y"'], name: 'svc' },
    { s: 'a "job_id":"fake", b', job_id: 'real' },
    { 'we"ird': 1, job_id: 'with \\ backslash and "quotes" and \u00e9\u{1f600}' },
    { 'job\u0000id': 'nul key', job_id: 'k' },
    { name: 'svc', reqId: 7 },
    { name: 12 },
  ];
  for (const c of cases) {
    const ch = `,${JSON.stringify(c).slice(1, -1)}`;
    for (const key of ['job_id', 'name', 'reqId', 'missing']) assert.is(idInChindings(ch, key), viaParse(ch, key), `${key} in ${ch}`);
  }
  // A key bound twice (a child re-binding it): the last one, as JSON.parse keeps it.
  assert.is(idInChindings(',"job_id":"parent","pid":1,"job_id":"child"', 'job_id'), 'child');
  // Not what pino writes: null, so the caller asks pino.
  assert.is(idInChindings('"job_id":"x"', 'job_id'), null);
  assert.is(idInChindings(',"job_id":"unterminated', 'job_id'), null);
});

/** Counts calls to pino's bindings() (on the prototype every logger shares) while `fn` runs. */
function countingBindings(fn: () => void): number {
  // Each pino() has a prototype of its own; bindings() lives further up, shared by all.
  let proto = pino({ enabled: false }) as object;
  while (!Object.prototype.hasOwnProperty.call(proto, 'bindings')) proto = Object.getPrototypeOf(proto) as object;
  const owner = proto as { bindings: () => unknown };
  const real = owner.bindings;
  let calls = 0;
  owner.bindings = function (this: unknown) {
    calls++;
    return real.call(this);
  };
  try {
    fn();
  } finally {
    owner.bindings = real;
  }
  return calls;
}

test('a child logger per request: the id without a bindings() parse per request', () => {
  const cache = new BindingsCache('job_id');
  const plain = pino({ enabled: false });
  const named = pino({ enabled: false, name: 'svc' });
  const ids: string[] = [];
  const calls = countingBindings(() => {
    for (let i = 0; i < 200; i++) {
      ids.push(cache.idOf(plain.child({ reqId: `req-${i}` })));
      ids.push(cache.idOf(named.child({ reqId: `req-${i}` })));
      ids.push(cache.idOf(plain.child({ reqId: i, job_id: `job-${i}` })));
      ids.push(cache.idOf(named.child({ job_id: i }).child({ reqId: i })));
    }
  });
  assert.is(calls, 0, 'bindings() was parsed per request');
  for (let i = 0; i < 200; i++) assert.equal(ids.slice(4 * i, 4 * i + 4), ['pino', 'svc', `job-${i}`, String(i)]);
});

test('setBindings and a nested job_id are followed as bindings() has them', () => {
  const cache = new BindingsCache('job_id');
  const logger = pino({ enabled: false });
  const child = logger.child({ job_id: 'a' });
  assert.is(cache.idOf(child), 'a');
  child.setBindings({ job_id: 'b' });
  assert.is(cache.idOf(child), 'b');
  assert.is(cache.idOf(logger.child({ req: { job_id: 'nested' } })), 'pino');
  assert.is(cache.idOf({ bindings: () => ({ job_id: 'duck' }) }), 'duck'); // no chindings: asked once, cached per instance
});

test.run();
