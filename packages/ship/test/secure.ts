// For the production-connection tests: a throwaway CA made with openssl (a server certificate
// for 127.0.0.1 and localhost, a client certificate, and a second, untrusted CA with its own
// client certificate), nkey pairs, and nats-servers that ask for TLS, mutual TLS, a password,
// an nkey or a token.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
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
export function startTlsServer(dir: string, certs: Certs, name: string, verify: boolean): Promise<NatsServer> {
  return startServer(dir, name, ['--tls', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey, ...(verify ? ['--tlsverify', '--tlscacert', certs.ca] : [])]);
}

/** A JetStream server that lets in only the holder of `publicKey`'s seed. */
export function startNkeyServer(dir: string, name: string, publicKey: string): Promise<NatsServer> {
  const conf = join(dir, `${name}-auth.conf`);
  writeFileSync(conf, `authorization { users: [ { nkey: ${publicKey} } ] }\n`);
  return startServer(dir, name, ['-c', conf]);
}
