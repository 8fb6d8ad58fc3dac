// For the production-connection tests: a throwaway CA made with openssl (a server certificate
// for 127.0.0.1 and localhost, a client certificate, and a second, untrusted CA with its own
// client certificate), nkey pairs, and nats-servers that ask for TLS, mutual TLS, a password,
// an nkey, a token, or (operator mode, JWTs signed here) a .creds file.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { nkeys } from '@nats-io/transport-node';

type KeyPair = ReturnType<typeof nkeys.createUser>;
import { startServer, type NatsServer } from '../src/testing.js';

export function opensslAvailable(): { ok: true } | { ok: false; reason: string } {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, reason: `openssl not found (${r.error?.message ?? r.stderr}); the TLS tests need it to make a throwaway CA` };
  return { ok: true };
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

export interface Certs {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA nobody trusts, and a client certificate it signed. */
  rogueCa: string;
  rogueCert: string;
  rogueKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function signed(dir: string, name: string, caName: string, subj: string, ext: string): void {
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.pem`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
}

/** A CA, a server certificate (127.0.0.1, localhost), a client certificate, and a rogue CA + client certificate, in `dir`. */
export function makeCerts(dir: string): Certs {
  for (const ca of ['ca', 'rogue-ca']) openssl(dir, ['req', '-x509', ...EC, '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '2', '-subj', `/CN=threadwal test ${ca}`]);
  signed(dir, 'server', 'ca', '/CN=localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  signed(dir, 'client', 'ca', '/CN=shipper', 'extendedKeyUsage=clientAuth');
  signed(dir, 'rogue', 'rogue-ca', '/CN=rogue', 'extendedKeyUsage=clientAuth');
  const p = (f: string): string => join(dir, f);
  return {
    ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'),
    clientCert: p('client.pem'), clientKey: p('client.key'),
    rogueCa: p('rogue-ca.pem'), rogueCert: p('rogue.pem'), rogueKey: p('rogue.key'),
  };
}

/** A user nkey pair: the public key (for the server) and a seed file (for the client). */
export function makeNkey(dir: string, name: string): { publicKey: string; seedFile: string } {
  const kp = nkeys.createUser();
  const seedFile = join(dir, `${name}.nk`);
  writeFileSync(seedFile, `${new TextDecoder().decode(kp.getSeed())}\n`, { mode: 0o600 });
  return { publicKey: kp.getPublicKey(), seedFile };
}

/** A JetStream server requiring TLS (and client certificates signed by the CA with `verify`). */
export function startTlsServer(dir: string, certs: Certs, name: string, verify: boolean, extra: string[] = []): Promise<NatsServer> {
  return startServer(dir, name, ['--tls', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey, ...(verify ? ['--tlsverify', '--tlscacert', certs.ca] : []), ...extra]);
}

/** A JetStream server that lets in only the holder of `publicKey`'s seed. */
export function startNkeyServer(dir: string, name: string, publicKey: string): Promise<NatsServer> {
  const conf = join(dir, `${name}-auth.conf`);
  writeFileSync(conf, `authorization { users: [ { nkey: ${publicKey} } ] }\n`);
  return startServer(dir, name, ['-c', conf]);
}

const b64 = (b: string | Uint8Array): string => Buffer.from(b).toString('base64url');

/** A NATS JWT (v2) about `sub`, signed by `issuer`. */
function jwt(issuer: KeyPair, sub: string, name: string, nats: Record<string, unknown>): string {
  const header = b64(JSON.stringify({ typ: 'JWT', alg: 'ed25519-nkey' }));
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub, nats: { ...nats, version: 2 } };
  claims.jti = createHash('sha256').update(JSON.stringify(claims)).digest('base64url').slice(0, 52).toUpperCase();
  const payload = b64(JSON.stringify(claims));
  return `${header}.${payload}.${b64(issuer.sign(new TextEncoder().encode(`${header}.${payload}`)))}`;
}

function credsFile(dir: string, name: string, account: KeyPair): string {
  const user = nkeys.createUser();
  const userJwt = jwt(account, user.getPublicKey(), name, { type: 'user', pub: {}, sub: {}, subs: -1, data: -1, payload: -1 });
  const file = join(dir, `${name}.creds`);
  writeFileSync(file, `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n`, { mode: 0o600 });
  return file;
}

const OPEN = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };

/**
 * A JetStream server in operator mode (an operator, a system account and an app account
 * preloaded), a .creds file of a user of the app account, and one of a user of an account the
 * server does not know.
 */
export async function startOperatorServer(dir: string, name: string): Promise<{ server: NatsServer; creds: string; strangerCreds: string }> {
  const op = nkeys.createOperator();
  const sys = nkeys.createAccount();
  const app = nkeys.createAccount();
  const conf = join(dir, `${name}-operator.conf`);
  writeFileSync(conf, `operator: ${jwt(op, op.getPublicKey(), 'test-operator', { type: 'operator', system_account: sys.getPublicKey() })}
system_account: ${sys.getPublicKey()}
resolver: MEMORY
resolver_preload: {
  ${sys.getPublicKey()}: ${jwt(op, sys.getPublicKey(), 'SYS', { type: 'account', limits: OPEN })}
  ${app.getPublicKey()}: ${jwt(op, app.getPublicKey(), 'APP', { type: 'account', limits: { ...OPEN, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } })}
}
`);
  const server = await startServer(dir, name, ['-c', conf]);
  return { server, creds: credsFile(dir, 'shipper', app), strangerCreds: credsFile(dir, 'stranger', nkeys.createAccount()) };
}
