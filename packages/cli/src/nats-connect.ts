// The connection flags `threadwal ship` and `ship-read` share, as the `nats` CLI names them:
// --creds, --nkey, --user (password from --password-file or THREADWAL_NATS_PASSWORD),
// --token-file (or THREADWAL_NATS_TOKEN), --tls, --tlsca, --tlscert, --tlskey.
//
// A secret is never taken from the command line, where `ps` shows it to every user:
// --password and --token are refused (usage error, exit 2) pointing at the file and the
// environment variable; a --server URL with user:pass@ still works (scripts use it) but
// warns. A flag beats its environment variable. THREADWAL_NATS_PASSWORD is read only with
// --user, THREADWAL_NATS_TOKEN only when no other way to authenticate is given.
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CliError, EXIT_USAGE } from './errors.js';

export const PASSWORD_ENV = 'THREADWAL_NATS_PASSWORD';
export const TOKEN_ENV = 'THREADWAL_NATS_TOKEN';

export interface NatsConnectFlags {
  creds?: string;
  nkey?: string;
  user?: string;
  passwordFile?: string;
  tokenFile?: string;
  password?: string;
  token?: string;
  tls?: boolean;
  tlsca?: string;
  tlscert?: string;
  tlskey?: string;
}

/** What ship() / readStream() take (ShipOptions.auth and .tls). */
export interface NatsConnectOptions {
  auth?: { credsFile?: string; nkeyFile?: string; user?: string; password?: string; token?: string };
  tls?: { caFile?: string; certFile?: string; keyFile?: string } | true;
}

export function addNatsConnectOptions(cmd: Command): Command {
  return cmd
    .option('--creds <file>', 'NATS credentials file (user JWT + nkey seed)')
    .option('--nkey <file>', 'file holding a user nkey seed (SU…)')
    .option('--user <name>', `user name; the password from --password-file or $${PASSWORD_ENV}`)
    .option('--password-file <file>', 'file holding the password of --user')
    .option('--token-file <file>', `file holding an auth token (or $${TOKEN_ENV})`)
    .option('--tls', "require TLS (trusting the system's CAs unless --tlsca)")
    .option('--tlsca <file>', "PEM CA that signed the server's certificate (implies --tls)")
    .option('--tlscert <file>', 'PEM client certificate for mutual TLS (with --tlskey)')
    .option('--tlskey <file>', 'PEM private key of --tlscert')
    .addOption(new Option('--password <secret>').hideHelp())
    .addOption(new Option('--token <secret>').hideHelp());
}

function usage(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

/** A secret file's content without its trailing newline. */
function secretFile(file: string, flag: string): string {
  let s: string;
  try {
    s = readFileSync(file, 'utf8');
  } catch (err) {
    throw usage(`${flag}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  s = s.replace(/\r?\n$/, '');
  if (s === '') throw usage(`${flag}: ${file} is empty`);
  return s;
}

/** The flags (and environment) as ship()'s auth and tls; a usage error for a bad combination. */
export function natsConnectOptions(f: NatsConnectFlags, servers: readonly string[], env: NodeJS.ProcessEnv = process.env, warn: (m: string) => void = (m) => process.stderr.write(`threadwal: warning: ${m}\n`)): NatsConnectOptions {
  if (f.password !== undefined) throw usage(`--password is refused: every user can read the command line (ps). Put the password in a file (--password-file) or in $${PASSWORD_ENV}`);
  if (f.token !== undefined) throw usage(`--token is refused: every user can read the command line (ps). Put the token in a file (--token-file) or in $${TOKEN_ENV}`);
  if (servers.some((s) => /\/\/[^/@\s]+@/.test(s))) warn(`a --server URL carries credentials, which every user can read on the command line (ps); use --user with --password-file or $${PASSWORD_ENV}, --token-file or $${TOKEN_ENV}, --creds or --nkey`);
  const ways = (['creds', 'nkey', 'user', 'tokenFile'] as const).filter((k) => f[k] !== undefined);
  if (ways.length > 1) throw usage(`give one way to authenticate: ${ways.map((k) => `--${k === 'tokenFile' ? 'token-file' : k}`).join(' and ')} were both given`);
  if (f.passwordFile !== undefined && f.user === undefined) throw usage('--password-file needs --user');
  const out: NatsConnectOptions = {};
  if (f.creds !== undefined) out.auth = { credsFile: f.creds };
  else if (f.nkey !== undefined) out.auth = { nkeyFile: f.nkey };
  else if (f.user !== undefined) {
    const password = f.passwordFile !== undefined ? secretFile(f.passwordFile, '--password-file') : env[PASSWORD_ENV];
    if (password === undefined || password === '') throw usage(`--user needs a password: --password-file <file> or $${PASSWORD_ENV}`);
    out.auth = { user: f.user, password };
  } else if (f.tokenFile !== undefined) out.auth = { token: secretFile(f.tokenFile, '--token-file') };
  else if (env[TOKEN_ENV] !== undefined && env[TOKEN_ENV] !== '') out.auth = { token: env[TOKEN_ENV] };
  if ((f.tlscert === undefined) !== (f.tlskey === undefined)) throw usage('--tlscert and --tlskey go together (a client certificate and its key)');
  if (f.tlsca !== undefined || f.tlscert !== undefined) {
    out.tls = {};
    if (f.tlsca !== undefined) out.tls.caFile = f.tlsca;
    if (f.tlscert !== undefined) out.tls.certFile = f.tlscert;
    if (f.tlskey !== undefined) out.tls.keyFile = f.tlskey;
  } else if (f.tls === true) out.tls = true;
  return out;
}

const FLAGS: Array<[RegExp, string]> = [
  [/^options\.auth\.credsFile/, '--creds'],
  [/^options\.auth\.nkeyFile/, '--nkey'],
  [/^options\.tls\.caFile/, '--tlsca'],
  [/^options\.tls\.certFile/, '--tlscert'],
  [/^options\.tls\.keyFile/, '--tlskey'],
  [/^options\.tls/, '--tlsca/--tlscert/--tlskey'],
];

/** Runs `fn` (which calls ship() or readStream()), naming the flag in a bad connection option's message. */
export function withFlagNames<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    if (e?.code === 'EINVAL' && typeof e.message === 'string') {
      for (const [re, flag] of FLAGS) if (re.test(e.message)) throw usage(e.message.replace(re, flag));
    }
    throw err;
  }
}
