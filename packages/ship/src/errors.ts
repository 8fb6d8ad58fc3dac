// ShipError: the one error the shipper stops with. It is a WalError (code ESHIP) so callers
// branch on `code` as everywhere in threadwal, plus `reason` (what went wrong, stable) and
// `seq` (the WAL seq it happened at, when there is one).
import { WalError } from '@threadwal/core';

export type ShipErrorReason =
  /** The stream does not exist (and createStream is off, or the checkpoint says it held our events). */
  | 'stream-missing'
  /** The subject is not bound by the stream (or is bound by another one). */
  | 'subject-unbound'
  /** An event is larger than the server or the stream accepts. */
  | 'too-large'
  /** The stream holds a message this WAL did not publish where ours should be. */
  | 'foreign-writer'
  /** The WAL lost events the shipper had not shipped (retention ran ahead, or the WAL was replaced). */
  | 'gap'
  /** The WAL has no id in `{path}.meta` (no writer of this version opened it yet) or is behind the stream. */
  | 'wal-mismatch'
  /** The server rejected our credentials. */
  | 'auth'
  /** TLS failed: the server's certificate is not trusted, or the server refused our client certificate. */
  | 'tls'
  /** No server answered within connectTimeoutMs on the first connect. */
  | 'unreachable'
  /** Any other rejection the server will repeat on retry. */
  | 'rejected'
  /** Bad options. */
  | 'invalid';

export class ShipError extends WalError {
  readonly reason: ShipErrorReason;
  readonly seq: number | undefined;

  constructor(reason: ShipErrorReason, message: string, opts: { path?: string; seq?: number; cause?: unknown } = {}) {
    super(reason === 'invalid' ? 'EINVAL' : 'ESHIP', message, { path: opts.path, cause: opts.cause });
    this.reason = reason;
    this.seq = opts.seq;
  }
}

export function isShipError(err: unknown, reason?: ShipErrorReason): err is ShipError {
  return err instanceof ShipError && (reason === undefined || err.reason === reason);
}
