/** Stable error codes; tests and callers branch on these, never on message text. */
export const WAL_ERROR_CODES = [
  'EINVAL', 'EFSYNC', 'ENOSPC', 'EIO', 'ECLOSED', 'ELOCKED', 'ECORRUPT', 'EWORKER', 'EBACKPRESSURE', 'ETIMEDOUT',
  // Appended, never inserted: a code crosses threads as its index here (SAB_NACK_CODE).
  'ENOENT', 'EABORTED',
  'ESHIP', // @threadwal/ship: a publish the server will never accept, or a WAL the shipper cannot follow (ShipError says which)
  // The errno of a failed file operation, when it says what the operator has to fix (see ERRNO_HINTS).
  'EISDIR', 'ENOTDIR', 'EACCES', 'EROFS', 'EDQUOT', 'EMFILE',
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

/**
 * The errnos that reach `WalError.code` as themselves, each with what to do about it. Any
 * other errno (EIO, EBADF, ...) becomes the caller's fallback code (EIO unless told), its
 * errno still in the message and in `cause.code`. ENFILE (the system's table is full) is
 * reported as EMFILE and EPERM as EACCES (the remedy is the same), ENAMETOOLONG as EINVAL.
 */
const ERRNO_HINTS: Partial<Record<string, { code: WalErrorCode; hint: string }>> = {
  ENOSPC: { code: 'ENOSPC', hint: 'the filesystem is full: free space (applyRetention or cleanup delete old segments); appends succeed again once there is room' },
  EDQUOT: { code: 'EDQUOT', hint: "the user's disk quota is used up: free space or raise the quota; appends succeed again once there is room" },
  EISDIR: { code: 'EISDIR', hint: 'a directory is in the way: the WAL path must name a file, not a directory' },
  ENOTDIR: { code: 'ENOTDIR', hint: 'a part of the path that should be a directory is a file: fix the path' },
  EACCES: { code: 'EACCES', hint: 'permission denied: give this user write access to the file and its directory, or choose another path' },
  EPERM: { code: 'EACCES', hint: 'operation not permitted: give this user write access to the file and its directory, or choose another path' },
  EROFS: { code: 'EROFS', hint: 'the filesystem is mounted read-only: remount it read-write or choose another path' },
  EMFILE: { code: 'EMFILE', hint: 'this process has too many open files: close some, or raise the limit (ulimit -n)' },
  ENFILE: { code: 'EMFILE', hint: 'the system has too many open files: close some, or raise fs.file-max' },
  ENAMETOOLONG: { code: 'EINVAL', hint: 'the path or a name in it is too long: choose a shorter one' },
};

/** The WalError code a Node errno maps to (undefined: not one of ERRNO_HINTS). */
export function codeOfErrno(errno: string | undefined): WalErrorCode | undefined {
  return errno === undefined ? undefined : ERRNO_HINTS[errno]?.code;
}

/** True for an ENOSPC or EDQUOT, as a Node error or a WalError: out of space, retry once there is room. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * Maps a Node fs error to a WalError, keeping the original as `cause`: an errno listed in
 * ERRNO_HINTS becomes that code, with what to do in the message; any other becomes `fallback`.
 */
export function fromFsError(err: unknown, path: string, what: string, fallback: WalErrorCode = 'EIO'): WalError {
  if (err instanceof WalError) return err;
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const known = typeof errno === 'string' ? ERRNO_HINTS[errno] : undefined;
  const msg = err instanceof Error ? err.message : String(err);
  return new WalError(known?.code ?? fallback, `${what} failed for ${path}: ${msg}${known ? ` (${known.hint})` : ''}`, { path, cause: err });
}

export function isWalError(err: unknown, code?: WalErrorCode): err is WalError {
  return err instanceof WalError && (code === undefined || err.code === code);
}
