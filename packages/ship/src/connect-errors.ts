// Which connect failures a retry cannot fix: the server rejected our credentials ('auth'), or
// TLS failed ('tls': the server's certificate is not trusted, the server refused our client
// certificate, TLS asked for and not offered). Both stop the shipper at once.
//
// One case the client cannot see: with TLS 1.3 a server that refuses the client certificate
// says so (an alert) after the client thinks the handshake is done, and nats.js then waits
// for its connect timeout. So probeTls() does the handshake itself (read INFO, start TLS with
// the same files, PING) and reports the alert: before the first connect when TLS options are
// given (so the refusal comes at once), and after a failure nothing else explains.
import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { ShipError } from './errors.js';
import { safeServers } from './redact.js';

function codeOf(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return String(e?.code ?? e?.cause?.code ?? '');
}

/** The reason a connect error means (undefined: retry it). */
export function fatalReason(err: unknown): 'auth' | 'tls' | undefined {
  const e = err as Error | undefined;
  if (e?.name === 'AuthorizationError' || e?.name === 'UserAuthenticationExpiredError' || /authoriz|authentication/i.test(e?.message ?? '')) return 'auth';
  if (/^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|CERT_|HOSTNAME_MISMATCH)/.test(codeOf(err))) return 'tls';
  // nats.js: TLS asked for (tls options) and the server offers none, or the other way round.
  if (/does not support 'tls'|tls is not available|certificate/i.test(e?.message ?? '')) return 'tls';
  return undefined;
}

function hint(err: unknown): string {
  const code = codeOf(err);
  if (/ALERT/.test(code)) return 'the server refused our client certificate (give one its CA signed: tls.certFile and tls.keyFile, --tlscert and --tlskey)';
  if (/^(UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO)/.test(code)) return "the server's certificate is not trusted (give the CA that signed it: tls.caFile, --tlsca)";
  if (/ALTNAME|HOSTNAME/.test(code)) return "the server's certificate does not name the host in the URL";
  if (/^CERT_/.test(code)) return "the server's certificate is not valid now";
  if (/does not support 'tls'/.test(String((err as Error | undefined)?.message))) return 'the server does not offer TLS';
  return 'TLS failed';
}

/** The ShipError a fatal connect error becomes, or undefined (retry). */
export function fatalConnectError(err: unknown, servers: readonly string[]): ShipError | undefined {
  const reason = fatalReason(err);
  const message = (err as Error | undefined)?.message ?? String(err);
  const code = codeOf(err);
  if (reason === 'auth') return new ShipError('auth', `authorization failed at ${safeServers(servers)}: ${message}`, { cause: err });
  // OpenSSL's text of an alert is a source path and numbers around "alert bad certificate".
  const detail = /\balert ([a-z ]+)/i.exec(message)?.[0] ?? message.split('\n')[0];
  if (reason === 'tls') return new ShipError('tls', `TLS with ${safeServers(servers)} failed: ${hint(err)} (${code ? `${code}: ` : ''}${detail})`, { cause: err });
  return undefined;
}

function hostPort(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url.includes('://') ? url : `nats://${url}`);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || '4222') };
  } catch {
    return undefined;
  }
}

/**
 * Does the TLS handshake with `url` as the client would (the same CA and client certificate)
 * and returns the TLS error it meets; undefined when it succeeds, the server does not speak
 * TLS, or it cannot be reached (nothing TLS can say then). At most `ms`.
 */
export function probeTls(url: string, tls: NodeConnectionOptions['tls'], ms: number): Promise<Error | undefined> {
  const hp = hostPort(url);
  if (hp === undefined || tls === null) return Promise.resolve(undefined);
  const opts: ConnectionOptions = { rejectUnauthorized: true };
  try {
    if (tls?.caFile) opts.ca = [readFileSync(tls.caFile)];
    if (tls?.certFile) opts.cert = readFileSync(tls.certFile);
    if (tls?.keyFile) opts.key = readFileSync(tls.keyFile);
  } catch {
    return Promise.resolve(undefined);
  }
  if (isIP(hp.host) === 0) opts.servername = hp.host;
  return new Promise((resolve) => {
    let done = false;
    const sock = netConnect(hp.port, hp.host);
    const finish = (r: Error | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(undefined), ms);
    sock.on('error', () => finish(undefined));
    let head = '';
    const onInfo = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n')) return;
      sock.off('data', onInfo);
      let info: { tls_required?: boolean; tls_available?: boolean };
      try { info = JSON.parse(head.slice(head.indexOf('{'), head.indexOf('\r\n'))) as typeof info; } catch { finish(undefined); return; }
      if (!info.tls_required && !(info.tls_available && tls !== undefined)) { finish(undefined); return; }
      const t = tlsConnect({ ...opts, socket: sock });
      t.on('error', (err) => finish(err));
      t.on('secureConnect', () => t.write('PING\r\n'));
      t.on('data', () => finish(undefined));
      t.on('close', () => finish(undefined));
    };
    sock.on('data', onInfo);
  });
}

/** After a connect error nothing else explains: the TLS error a probe of each server meets, as a ShipError. */
export async function diagnoseTls(servers: readonly string[], tls: NodeConnectionOptions['tls'], ms: number): Promise<ShipError | undefined> {
  for (const s of servers) {
    const err = await probeTls(s, tls, ms);
    if (err !== undefined && fatalReason(err) === 'tls') return fatalConnectError(err, servers);
  }
  return undefined;
}

/**
 * connect(), throwing ShipError 'auth' / 'tls' for what a retry cannot fix and the client's
 * own error otherwise. With `probe` (the first attempt) and TLS options, the handshake is
 * probed first (a few ms; not beside the connect, whose refused attempt would then hold the
 * process until its timeout).
 */
export async function connectChecked(opts: NodeConnectionOptions & { servers: string[] }, probe: boolean, probeMs: number): Promise<NatsConnection> {
  if (probe && opts.tls !== undefined && opts.tls !== null) {
    const refused = await diagnoseTls(opts.servers, opts.tls, probeMs);
    if (refused !== undefined) throw refused;
  }
  try {
    return await connect(opts);
  } catch (err) {
    throw fatalConnectError(err, opts.servers) ?? await diagnoseTls(opts.servers, opts.tls, probeMs) ?? err;
  }
}
