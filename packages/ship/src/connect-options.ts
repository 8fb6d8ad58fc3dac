// A production connection: credentials (a .creds file, an nkey seed file, user + password, a
// token) and TLS (a CA, a client certificate), as the `nats` CLI takes them, turned into
// nats.js connection options. Checked at the call: a missing or unreadable file, a file that
// is not what it should be, a certificate without its key, two ways to authenticate at once
// are ShipError('invalid') naming the option, never quoting a file's content or a secret.
//
// Secrets live only in the authenticator closures handed to the client (not as plain fields
// of the options, so a logged or serialised options object shows none). The .creds and nkey
// files are read again at every (re)connect, so a rotated file is picked up; if a re-read
// fails, the last good content is used.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import {
  credsAuthenticator, nkeyAuthenticator, tokenAuthenticator, usernamePasswordAuthenticator, nkeys,
  type Authenticator, type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { ShipError } from './errors.js';

/** How the client proves who it is: one of these ways (see docs/SHIPPING.md#connecting-to-a-real-cluster). */
export interface NatsAuth {
  /** A NATS credentials file (user JWT + nkey seed), as `nats --creds`. */
  credsFile?: string | undefined;
  /** A file holding a user nkey seed (`SU…`), as `nats --nkey`. */
  nkeyFile?: string | undefined;
  /** A user name; with `password`. */
  user?: string | undefined;
  password?: string | undefined;
  /** An authentication token. */
  token?: string | undefined;
}

/** TLS: the CA that signed the server's certificate, and a client certificate for mutual TLS. */
export interface NatsTls {
  /** PEM CA bundle trusted for the server's certificate. Default: the system's CAs. */
  caFile?: string | undefined;
  /** PEM client certificate (mutual TLS); with `keyFile`. */
  certFile?: string | undefined;
  /** PEM private key of `certFile`. */
  keyFile?: string | undefined;
}

function bad(message: string): ShipError {
  return new ShipError('invalid', message);
}

function readOption(file: unknown, name: string): Buffer {
  if (typeof file !== 'string' || file === '') throw bad(`${name} must be a file path`);
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ShipError('invalid', `${name}: cannot read ${file} (${code})`, { path: file });
  }
}

/** Re-reads `file` at each call, falling back to the last good content (a rotated file is picked up). */
function fresh(file: string, first: Uint8Array, check: (b: Uint8Array) => boolean): () => Uint8Array {
  let last = first;
  return () => {
    try {
      const b = new Uint8Array(readFileSync(file));
      if (check(b)) last = b;
    } catch { /* keep the last good content */ }
    return last;
  };
}

function credsOk(b: Uint8Array): boolean {
  try {
    const auth = credsAuthenticator(b)('probe') as { jwt?: string; nkey?: string; sig?: string };
    return typeof auth.jwt === 'string' && auth.jwt !== '' && typeof auth.sig === 'string' && auth.sig !== '';
  } catch {
    return false;
  }
}

const TE = new TextEncoder();
const TD = new TextDecoder();

function seedOf(b: Uint8Array): Uint8Array | undefined {
  const s = TD.decode(b).trim();
  if (!s.startsWith('SU')) return undefined;
  try {
    const seed = TE.encode(s);
    nkeys.fromSeed(seed).getPublicKey();
    return seed;
  } catch {
    return undefined;
  }
}

const AUTH_KEYS = ['credsFile', 'nkeyFile', 'user', 'password', 'token'] as const;
const TLS_KEYS = ['caFile', 'certFile', 'keyFile'] as const;

function authenticator(auth: NatsAuth, p: string): Authenticator {
  if (typeof auth !== 'object' || auth === null) throw bad(`${p}.auth must be an object`);
  for (const k of Object.keys(auth)) if (!(AUTH_KEYS as readonly string[]).includes(k)) throw bad(`${p}.auth.${k} is not an option (${AUTH_KEYS.join(', ')})`);
  const ways = [auth.credsFile !== undefined, auth.nkeyFile !== undefined, auth.user !== undefined || auth.password !== undefined, auth.token !== undefined].filter(Boolean).length;
  if (ways === 0) throw bad(`${p}.auth needs one of credsFile, nkeyFile, user + password, token`);
  if (ways > 1) throw bad(`${p}.auth takes one way to authenticate: credsFile, nkeyFile, user + password or token, not several`);
  if (auth.credsFile !== undefined) {
    const b = new Uint8Array(readOption(auth.credsFile, `${p}.auth.credsFile`));
    if (!credsOk(b)) throw new ShipError('invalid', `${p}.auth.credsFile: ${auth.credsFile} is not a NATS credentials file (a user JWT and an nkey seed)`, { path: auth.credsFile });
    return credsAuthenticator(fresh(auth.credsFile, b, credsOk));
  }
  if (auth.nkeyFile !== undefined) {
    const seed = seedOf(readOption(auth.nkeyFile, `${p}.auth.nkeyFile`));
    if (seed === undefined) throw new ShipError('invalid', `${p}.auth.nkeyFile: ${auth.nkeyFile} does not hold a user nkey seed (SU…)`, { path: auth.nkeyFile });
    const file = auth.nkeyFile;
    let last = seed;
    return nkeyAuthenticator(() => {
      try { last = seedOf(readFileSync(file)) ?? last; } catch { /* keep the last good seed */ }
      return last;
    });
  }
  if (auth.token !== undefined) {
    if (typeof auth.token !== 'string' || auth.token === '') throw bad(`${p}.auth.token must be a non-empty string`);
    const token = auth.token;
    return tokenAuthenticator(() => token);
  }
  if (typeof auth.user !== 'string' || auth.user === '') throw bad(`${p}.auth.user must be a non-empty string (with auth.password)`);
  if (typeof auth.password !== 'string' || auth.password === '') throw bad(`${p}.auth.password must be a non-empty string (with auth.user)`);
  const pass = auth.password;
  return usernamePasswordAuthenticator(auth.user, () => pass);
}

function tlsOptions(tls: NatsTls | true, p: string): NonNullable<NodeConnectionOptions['tls']> {
  if (tls === true) return {};
  if (typeof tls !== 'object' || tls === null) throw bad(`${p}.tls must be true or { caFile, certFile, keyFile }`);
  for (const k of Object.keys(tls)) if (!(TLS_KEYS as readonly string[]).includes(k)) throw bad(`${p}.tls.${k} is not an option (${TLS_KEYS.join(', ')})`);
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw bad(`${p}.tls.certFile and ${p}.tls.keyFile go together (a client certificate and its key)`);
  const ca = tls.caFile === undefined ? undefined : readOption(tls.caFile, `${p}.tls.caFile`);
  const cert = tls.certFile === undefined ? undefined : readOption(tls.certFile, `${p}.tls.certFile`);
  const key = tls.keyFile === undefined ? undefined : readOption(tls.keyFile, `${p}.tls.keyFile`);
  try {
    // createSecureContext takes a CA file without a certificate in it silently.
    if (ca !== undefined) new X509Certificate(ca);
    createSecureContext({ ca, cert, key });
  } catch (err) {
    // OpenSSL's reason (a bad PEM, a key that does not match the certificate); never the content.
    const why = (err as Error).message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/i, '');
    throw bad(`${p}.tls: ${[tls.caFile, tls.certFile, tls.keyFile].filter(Boolean).join(', ')}: ${why}`);
  }
  const out: NonNullable<NodeConnectionOptions['tls']> = {};
  if (tls.caFile !== undefined) out.caFile = tls.caFile;
  if (tls.certFile !== undefined) out.certFile = tls.certFile;
  if (tls.keyFile !== undefined) out.keyFile = tls.keyFile;
  return out;
}

/**
 * `auth` and `tls` as nats.js connection options, merged over `connectOptions`. `p` names the
 * options in messages ('options'). Giving credentials both here and in connectOptions is invalid.
 */
export function natsConnectOptions(auth: NatsAuth | undefined, tls: NatsTls | true | undefined, connectOptions: Partial<NodeConnectionOptions> | undefined, p = 'options'): Partial<NodeConnectionOptions> {
  const co = connectOptions ?? {};
  if (typeof co !== 'object' || co === null) throw bad(`${p}.connectOptions must be an object`);
  const out: Partial<NodeConnectionOptions> = { ...co };
  if (auth !== undefined) {
    if (co.authenticator !== undefined || co.user !== undefined || co.pass !== undefined || co.token !== undefined) throw bad(`${p}.auth and credentials in ${p}.connectOptions (authenticator, user, pass, token): give them one way`);
    out.authenticator = authenticator(auth, p);
  }
  if (tls !== undefined) {
    if (co.tls !== undefined) throw bad(`${p}.tls and ${p}.connectOptions.tls: give TLS one way`);
    out.tls = tlsOptions(tls, p);
  }
  return out;
}
