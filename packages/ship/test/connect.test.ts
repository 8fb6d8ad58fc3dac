// A production connection through the API: TLS (a throwaway CA), mutual TLS, user + password,
// nkey and token, each against a real nats-server: shipping works end to end (every event in
// the stream once), and a wrong credential is a typed ShipError ('auth' or 'tls') at once,
// not 'unreachable' after connectTimeoutMs of retries. No secret reaches the checkpoint, the
// status or an error. Bad options are EINVAL at the call.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ship, readStream, isShipError, type ShipError, type ShipOptions } from '../src/index.js';
import { natsAvailable, type NatsServer } from '../src/testing.js';
import { tmpDir, appendEvents, checkStream, CLEAN, verdict, shipFailure as failure } from './helpers.js';
import { opensslAvailable, makeCerts, makeNkey, startTlsServer, startNkeyServer, startOperatorServer, type Certs } from './secure.js';
import { startServer } from '../src/testing.js';

const SECRET = 'pw-9f3a-SECRET-71c2';
// A retry loop would end in 'unreachable' after this long: the typed error must come first.
const PATIENT = { connectTimeoutMs: 20_000, timeoutMs: 2000, backoff: { initialMs: 50, maxMs: 200 } };

function syncFailure(fn: () => unknown): ShipError {
  try {
    const started = fn() as { stop?: () => Promise<unknown>; return?: () => Promise<unknown> };
    void started.stop?.().catch(() => undefined);
    void started.return?.().catch(() => undefined);
  } catch (err) {
    if (isShipError(err)) return err;
    throw err;
  }
  throw new Error('expected a ShipError');
}

/** Ships 300 events with `conn`, checks the stream, and that no secret is in the checkpoint or status. */
async function shipsThrough(server: NatsServer, stream: string, conn: Pick<ShipOptions, 'auth' | 'tls'>): Promise<void> {
  const dir = tmpDir();
  const path = join(dir, 'app.wal');
  await appendEvents(path, 300);
  const s = await ship(path, { ...conn, servers: server.url, stream, subject: `tw.${stream}`, createStream: true, once: true }).done;
  assert.is(s.ackedSeq, 299);
  const c = await checkStream(server.url, stream, path, conn);
  assert.is(c.streamEvents, 300);
  assert.equal(verdict(c), CLEAN);
  const ckpt = readdirSync(join(dir, 'app.wal.ship')).map((f) => readFileSync(join(dir, 'app.wal.ship', f), 'utf8')).join('\n');
  assert.ok(ckpt.length > 0);
  assert.not.match(ckpt, SECRET);
  assert.not.match(JSON.stringify(s), SECRET);
}

async function rejected(server: NatsServer, conn: Pick<ShipOptions, 'auth' | 'tls'>, reason: 'auth' | 'tls'): Promise<ShipError> {
  const path = join(tmpDir(), 'app.wal');
  await appendEvents(path, 1);
  const e = await failure(ship(path, { ...conn, ...PATIENT, servers: server.url, stream: 'X', subject: 'tw.x', once: true }).done);
  assert.is(e.reason, reason, e.message);
  assert.is(e.code, 'ESHIP');
  for (const text of [e.message, e.stack ?? '', inspect(e, { depth: 5 })]) assert.not.match(text, SECRET);
  const r = await failure((async () => { for await (const _ of readStream({ ...conn, servers: server.url, stream: 'X', timeoutMs: 2000 })) break; })());
  assert.is(r.reason, reason, r.message);
  return e;
}

const nats = natsAvailable();
const ossl = opensslAvailable();

if (!nats.ok) {
  console.log(`[ship] skipped: ${nats.reason}`);
} else {
  test('user + password: ships; a wrong password is auth at once, the password in no message', async () => {
    const server = await startServer(tmpDir(), 'pw', ['--user', 'shipper', '--pass', SECRET]);
    try {
      await shipsThrough(server, 'PW', { auth: { user: 'shipper', password: SECRET } });
      const e = await rejected(server, { auth: { user: 'shipper', password: `${SECRET}-wrong` } }, 'auth');
      assert.match(e.message, /authorization failed/);
    } finally {
      await server.stop();
    }
  });

  test('token: ships; a wrong token is auth at once; TLS asked of a server without it is tls at once', async () => {
    const server = await startServer(tmpDir(), 'tok', ['--auth', SECRET]);
    try {
      await shipsThrough(server, 'TOK', { auth: { token: SECRET } });
      await rejected(server, { auth: { token: `${SECRET}x` } }, 'auth');
      await rejected(server, {}, 'auth');
      const plain = await rejected(server, { auth: { token: SECRET }, tls: true }, 'tls');
      assert.match(plain.message, /the server does not offer TLS/);
    } finally {
      await server.stop();
    }
  });

  test('nkey: ships with the seed file; an unknown nkey is auth at once', async () => {
    const dir = tmpDir();
    const known = makeNkey(dir, 'shipper');
    const stranger = makeNkey(dir, 'stranger');
    const server = await startNkeyServer(dir, 'nk', known.publicKey);
    try {
      await shipsThrough(server, 'NK', { auth: { nkeyFile: known.seedFile } });
      const e = await rejected(server, { auth: { nkeyFile: stranger.seedFile } }, 'auth');
      assert.not.match(e.message, readFileSync(stranger.seedFile, 'utf8').trim());
    } finally {
      await server.stop();
    }
  });

  test('a .creds file (operator mode): ships; a user of an account the server does not know is auth at once', async () => {
    const dir = tmpDir();
    const { server, creds, strangerCreds } = await startOperatorServer(dir, 'op');
    try {
      await shipsThrough(server, 'CREDS', { auth: { credsFile: creds } });
      const e = await rejected(server, { auth: { credsFile: strangerCreds } }, 'auth');
      const seed = /SU[A-Z0-9]+/.exec(readFileSync(strangerCreds, 'utf8'))![0];
      assert.not.match(e.message, seed);
    } finally {
      await server.stop();
    }
  });

  test('bad connection options are EINVAL at the call, naming the option, never quoting a file', () => {
    const dir = tmpDir();
    const seedLike = join(dir, 'not-a-seed');
    writeFileSync(seedLike, `${SECRET}\n`);
    const base = { servers: 'nats://127.0.0.1:1', stream: 'X', subject: 'tw.x' };
    const cases: Array<[Partial<ShipOptions>, RegExp]> = [
      [{ auth: { credsFile: join(dir, 'missing.creds') } }, /options\.auth\.credsFile: cannot read .*missing\.creds \(ENOENT\)/],
      [{ auth: { credsFile: seedLike } }, /options\.auth\.credsFile: .* is not a NATS credentials file/],
      [{ auth: { nkeyFile: seedLike } }, /options\.auth\.nkeyFile: .* does not hold a user nkey seed/],
      [{ auth: { user: 'u' } }, /options\.auth\.password must be/],
      [{ auth: { password: SECRET } }, /options\.auth\.user must be/],
      [{ auth: { user: 'u', password: SECRET, token: SECRET } }, /one way to authenticate/],
      [{ auth: { user: 'u', password: SECRET }, connectOptions: { token: 't' } }, /give them one way/],
      [{ auth: { pass: SECRET } as never }, /options\.auth\.pass is not an option/],
      [{ tls: { certFile: seedLike } }, /certFile and options\.tls\.keyFile go together/],
      [{ tls: { caFile: join(dir, 'missing.pem') } }, /options\.tls\.caFile: cannot read .*\(ENOENT\)/],
      [{ tls: { caFile: seedLike } }, /options\.tls: /],
    ];
    for (const [o, re] of cases) {
      const e = syncFailure(() => ship(join(dir, 'app.wal'), { ...base, ...o }));
      assert.is(e.code, 'EINVAL', e.message);
      assert.match(e.message, re);
      assert.not.match(e.message, SECRET);
      const r = syncFailure(() => readStream({ ...base, ...o }));
      assert.is(r.code, 'EINVAL', r.message);
    }
  });

  if (!ossl.ok) {
    console.log(`[ship] TLS tests skipped: ${ossl.reason}`);
  } else {
    let certs: Certs;
    test.before(() => { certs = makeCerts(tmpDir()); });

    test('TLS with the test CA: ships; an untrusted server certificate is tls at once', async () => {
      const server = await startTlsServer(tmpDir(), certs, 'tls', false);
      try {
        await shipsThrough(server, 'TLS1', { tls: { caFile: certs.ca } });
        const e = await rejected(server, { tls: { caFile: certs.rogueCa } }, 'tls');
        assert.match(e.message, /not trusted/);
        await rejected(server, {}, 'tls');
      } finally {
        await server.stop();
      }
    });

    test('mutual TLS (verify): ships with the client certificate; none, or one from another CA, is tls at once', async () => {
      const server = await startTlsServer(tmpDir(), certs, 'mtls', true);
      try {
        await shipsThrough(server, 'MTLS', { tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey } });
        const none = await rejected(server, { tls: { caFile: certs.ca } }, 'tls');
        assert.match(none.message, /refused our client certificate/);
        const rogue = await rejected(server, { tls: { caFile: certs.ca, certFile: certs.rogueCert, keyFile: certs.rogueKey } }, 'tls');
        assert.match(rogue.message, /refused our client certificate/);
      } finally {
        await server.stop();
      }
    });

    test('a client certificate with the wrong key is EINVAL at the call', () => {
      const e = syncFailure(() => ship(join(tmpDir(), 'app.wal'), { servers: 'nats://127.0.0.1:1', stream: 'X', subject: 'tw.x', tls: { certFile: certs.clientCert, keyFile: certs.rogueKey } }));
      assert.is(e.code, 'EINVAL');
      assert.match(e.message, /options\.tls: .*client\.pem/);
    });
  }
}

test.run();
