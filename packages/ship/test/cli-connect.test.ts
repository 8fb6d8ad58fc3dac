// `threadwal ship` / `ship-read` on a production connection, run as a user runs them: the
// built CLI with --tlsca/--tlscert/--tlskey, --user with --password-file or
// $THREADWAL_NATS_PASSWORD, --token-file or $THREADWAL_NATS_TOKEN, --nkey, --creds, against
// real nats-servers. The secret is in no output and not in the checkpoint; a wrong one is one
// line and exit 1; a secret on the command line is refused (exit 2).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { natsAvailable, startServer, type NatsServer } from '../src/testing.js';
import { tmpDir, appendEvents, checkStream } from './helpers.js';
import { opensslAvailable, makeCerts, makeNkey, startTlsServer, startNkeyServer, startOperatorServer, type Certs } from './secure.js';

const BIN = fileURLToPath(new URL('../../../cli/bin/threadwal.js', import.meta.url));
const SECRET = 'cli-pw-4d1e-SECRET-b77a';

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const clean = { ...process.env };
    delete clean.THREADWAL_NATS_PASSWORD;
    delete clean.THREADWAL_NATS_TOKEN;
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function oneLine(r: Run, code: number, re: RegExp): void {
  assert.is(r.code, code, r.stderr);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^threadwal: /);
  assert.match(lines[0]!, re);
  assert.not.match(r.stderr + r.stdout, SECRET);
}

function secretFile(content = SECRET): string {
  const f = join(tmpDir(), 'secret');
  writeFileSync(f, `${content}\n`, { mode: 0o600 });
  return f;
}

/** ship --once --json with `flags`, then ship-read with the same: 200 events each way, the secret nowhere. */
async function shipAndRead(server: NatsServer, stream: string, flags: string[], env: Record<string, string> = {}, conn: Parameters<typeof checkStream>[3] = {}): Promise<void> {
  const dir = tmpDir();
  const path = join(dir, 'app.wal');
  await appendEvents(path, 200);
  const r = await run(['ship', path, '--server', server.url, '--stream', stream, '--subject', `tw.${stream}`, '--create-stream', '--once', '--json', ...flags], env);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.is((JSON.parse(r.stdout) as { ackedSeq: number }).ackedSeq, 199);
  assert.not.match(r.stdout, SECRET);
  for (const f of readdirSync(join(dir, 'app.wal.ship'))) assert.not.match(readFileSync(join(dir, 'app.wal.ship', f), 'utf8'), SECRET);
  const c = await checkStream(server.url, stream, path, conn);
  assert.equal([c.streamEvents, c.firstProblem], [200, null]);
  const back = await run(['ship-read', '--server', server.url, '--stream', stream, ...flags], env);
  assert.is(back.code, 0, back.stderr);
  assert.is(back.stdout.split('\n').filter(Boolean).length, 200);
}

const nats = natsAvailable();
const ossl = opensslAvailable();

test('a secret on the command line is refused; bad flag combinations are usage errors (exit 2)', async () => {
  const path = join(tmpDir(), 'app.wal');
  await appendEvents(path, 1);
  const base = ['ship', path, '--server', 'nats://127.0.0.1:1', '--stream', 'X', '--subject', 'tw.x', '--once'];
  oneLine(await run([...base, '--user', 'u', '--password', SECRET]), 2, /--password is refused: every user can read the command line \(ps\).*--password-file.*THREADWAL_NATS_PASSWORD/);
  oneLine(await run([...base, '--token', SECRET]), 2, /--token is refused.*--token-file.*THREADWAL_NATS_TOKEN/);
  oneLine(await run([...base, '--user', 'u']), 2, /--user needs a password/);
  oneLine(await run([...base, '--password-file', secretFile()]), 2, /--password-file needs --user/);
  oneLine(await run([...base, '--tlscert', secretFile()]), 2, /--tlscert and --tlskey go together/);
  oneLine(await run([...base, '--creds', 'a.creds', '--nkey', 'b.nk']), 2, /one way to authenticate: --creds and --nkey/);
  oneLine(await run([...base, '--creds', join(tmpDir(), 'missing.creds')]), 2, /--creds: cannot read .*missing\.creds \(ENOENT\)/);
  oneLine(await run([...base, '--nkey', secretFile()]), 2, /--nkey: .* does not hold a user nkey seed/);
  oneLine(await run([...base, '--tlsca', secretFile()]), 2, /--tlsca\/--tlscert\/--tlskey: /);
  oneLine(await run([...base, '--user', 'u', '--password-file', join(tmpDir(), 'nope')]), 2, /--password-file: cannot read .*nope \(ENOENT\)/);
  oneLine(await run(['ship-read', '--server', 'nats://127.0.0.1:1', '--stream', 'X', '--token', SECRET]), 2, /--token is refused/);
  const h = await run(['ship', '--help']);
  for (const f of ['--creds', '--nkey', '--user', '--password-file', '--token-file', '--tlsca', '--tlscert', '--tlskey']) assert.match(h.stdout, f);
  assert.not.match(h.stdout, /--password </);
});

if (!nats.ok) {
  console.log(`[ship] skipped: ${nats.reason}`);
} else {
  test('--user with $THREADWAL_NATS_PASSWORD or --password-file; a wrong one is one line, exit 1; a URL with credentials warns', async () => {
    const server = await startServer(tmpDir(), 'pw', ['--user', 'shipper', '--pass', SECRET]);
    try {
      const auth = { auth: { user: 'shipper', password: SECRET } };
      await shipAndRead(server, 'CPW1', ['--user', 'shipper'], { THREADWAL_NATS_PASSWORD: SECRET }, auth);
      await shipAndRead(server, 'CPW2', ['--user', 'shipper', '--password-file', secretFile()], { THREADWAL_NATS_PASSWORD: 'the-file-wins' }, auth);
      const path = join(tmpDir(), 'app.wal');
      await appendEvents(path, 1);
      const args = ['ship', path, '--server', server.url, '--stream', 'X', '--subject', 'tw.x', '--once', '--connect-timeout', '20000', '--user', 'shipper'];
      oneLine(await run(args, { THREADWAL_NATS_PASSWORD: `${SECRET}-wrong` }), 1, /authorization failed/);
      oneLine(await run(['ship-read', '--server', server.url, '--stream', 'X', '--user', 'shipper'], { THREADWAL_NATS_PASSWORD: `${SECRET}-wrong` }), 1, /authorization failed/);
      const url = await run(['ship', path, '--server', server.url.replace('nats://', 'nats://shipper:wrong@'), '--stream', 'X', '--subject', 'tw.x', '--once']);
      assert.is(url.code, 1);
      assert.match(url.stderr, /^threadwal: warning: a --server URL carries credentials, which every user can read on the command line \(ps\)/);
      assert.match(url.stderr, /authorization failed at nats:\/\/\*\*\*@/);
      assert.not.match(url.stderr, 'shipper:wrong');
    } finally {
      await server.stop();
    }
  });

  test('--token-file and $THREADWAL_NATS_TOKEN; --nkey; --creds', async () => {
    const dir = tmpDir();
    const tok = await startServer(dir, 'tok', ['--auth', SECRET]);
    const nk = makeNkey(dir, 'shipper');
    const nkServer = await startNkeyServer(dir, 'nk', nk.publicKey);
    const op = await startOperatorServer(dir, 'op');
    try {
      await shipAndRead(tok, 'CTOK1', ['--token-file', secretFile()], {}, { auth: { token: SECRET } });
      await shipAndRead(tok, 'CTOK2', [], { THREADWAL_NATS_TOKEN: SECRET }, { auth: { token: SECRET } });
      await shipAndRead(nkServer, 'CNK', ['--nkey', nk.seedFile], {}, { auth: { nkeyFile: nk.seedFile } });
      await shipAndRead(op.server, 'CCREDS', ['--creds', op.creds], {}, { auth: { credsFile: op.creds } });
      oneLine(await run(['ship-read', '--server', op.server.url, '--stream', 'CCREDS', '--creds', op.strangerCreds]), 1, /authorization failed/);
    } finally {
      await Promise.all([tok.stop(), nkServer.stop(), op.server.stop()]);
    }
  });

  if (!ossl.ok) {
    console.log(`[ship] TLS tests skipped: ${ossl.reason}`);
  } else {
    let certs: Certs;
    test.before(() => { certs = makeCerts(tmpDir()); });

    test('--tlsca; mutual TLS with --tlscert/--tlskey and a password; without the client certificate: one line, exit 1', async () => {
      const server = await startTlsServer(tmpDir(), certs, 'mtls', true);
      try {
        const flags = ['--tlsca', certs.ca, '--tlscert', certs.clientCert, '--tlskey', certs.clientKey];
        await shipAndRead(server, 'CMTLS', flags, {}, { tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey } });
        const path = join(tmpDir(), 'app.wal');
        await appendEvents(path, 1);
        const base = ['ship', path, '--server', server.url, '--stream', 'X', '--subject', 'tw.x', '--once', '--connect-timeout', '20000'];
        oneLine(await run([...base, '--tlsca', certs.ca]), 1, /TLS with nats:\/\/127\.0\.0\.1:\d+ failed: the server refused our client certificate/);
        oneLine(await run([...base, '--tlsca', certs.rogueCa, '--tlscert', certs.clientCert, '--tlskey', certs.clientKey]), 1, /the server's certificate is not trusted/);
        oneLine(await run([...base, '--tls']), 1, /the server's certificate is not trusted/);
      } finally {
        await server.stop();
      }
    });

    test('TLS and a password together: --tlsca with --user and $THREADWAL_NATS_PASSWORD', async () => {
      const server = await startTlsServer(tmpDir(), certs, 'tlspw', false, ['--user', 'shipper', '--pass', SECRET]);
      try {
        await shipAndRead(server, 'CTLSPW', ['--tlsca', certs.ca, '--user', 'shipper'], { THREADWAL_NATS_PASSWORD: SECRET }, { tls: { caFile: certs.ca }, auth: { user: 'shipper', password: SECRET } });
      } finally {
        await server.stop();
      }
    });
  }
}

test.run();
