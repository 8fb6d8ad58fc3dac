/** Stable error codes; tests and callers branch on these, never on message text. */
export const WAL_ERROR_CODES = [
  'EINVAL', 'EFSYNC', 'ENOSPC', 'EIO', 'ECLOSED', 'ELOCKED', 'ECORRUPT', 'EWORKER', 'EBACKPRESSURE', 'ETIMEDOUT',
  // Appended, never inserted: a code crosses threads as its index here (SAB_NACK_CODE).
  'ENOENT', 'EABORTED',
  'ESHIP', // @threadwal/ship: a publish the server will never accept, or a WAL the shipper cannot follow (ShipError says which)
  'ERUNTIME', // the JavaScript runtime cannot do what the call needs: too old a Bun or Deno, a Deno permission not granted (util/runtime.ts)
] as const;
export type WalErrorCode = (typeof WAL_ERROR_CODES)[number];

/** The one error class threadwal throws or rejects with. */
export class WalError extends Error {
  override readonly name = 'WalError';
  readonly code: WalErrorCode;
  readonly path: string | undefined;
  /** Set for ECORRUPT: the file and byte offset of the bad line. */
  readonly file: string | undefined;
  readonly offset: number | undefined;

  constructor(code: WalErrorCode, message: string, opts: { path?: string; cause?: unknown; file?: string; offset?: number } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.path = opts.path;
    this.file = opts.file;
    this.offset = opts.offset;
  }
}

/** How an error crosses a thread boundary: plain data, rebuilt by `fromWire`. */
export interface WireError {
  name: string;
  code: WalErrorCode;
  message: string;
  path?: string;
  file?: string;
  offset?: number;
  causeCode?: string;
}

export function toWire(err: WalError): WireError {
  const causeCode = (err.cause as NodeJS.ErrnoException | undefined)?.code;
  const wire: WireError = { name: err.name, code: err.code, message: err.message };
  if (err.path !== undefined) wire.path = err.path;
  if (err.file !== undefined) wire.file = err.file;
  if (err.offset !== undefined) wire.offset = err.offset;
  if (typeof causeCode === 'string') wire.causeCode = causeCode;
  return wire;
}

export function fromWire(wire: WireError): WalError {
  const cause = wire.causeCode ? Object.assign(new Error(wire.causeCode), { code: wire.causeCode }) : undefined;
  return new WalError(wire.code, wire.message, { path: wire.path, file: wire.file, offset: wire.offset, cause });
}

/** Maps a Node fs error to a WalError, keeping the original as `cause`. */
export function fromFsError(err: unknown, path: string, what: string, fallback: WalErrorCode = 'EIO'): WalError {
  if (err instanceof WalError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const mapped: WalErrorCode = code === 'ENOSPC' || code === 'EDQUOT' ? 'ENOSPC' : fallback;
  const msg = err instanceof Error ? err.message : String(err);
  return new WalError(mapped, `${what} failed for ${path}: ${msg}`, { path, cause: err });
}

export function isWalError(err: unknown, code?: WalErrorCode): err is WalError {
  return err instanceof WalError && (code === undefined || err.code === code);
}
