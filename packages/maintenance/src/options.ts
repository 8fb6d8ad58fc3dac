// Eager validation of the public options, one check per field, naming the field.
import { WalError, isPositiveInt } from '@threadwal/core';
import type { LockSettings } from './pool/protocol.js';
import type { LockOptions } from './types.js';

export const DEFAULT_LOCK_STALE_MS = 10_000;
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_ISSUES = 100;
export const DEFAULT_POLL_MS = 50;

function bad(field: string, want: string, got: unknown): WalError {
  return new WalError('EINVAL', `${field} must be ${want}, got ${typeof got === 'string' ? JSON.stringify(got) : String(got)}`);
}

export function checkPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw bad('path', 'a non-empty string', path);
  return path;
}

export function checkObject(o: unknown, name = 'options'): void {
  if (typeof o !== 'object' || o === null) throw bad(name, 'an object', o);
}

export function checkNonNegativeInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(field, 'an integer >= 0', v);
  return v;
}

export function checkFunction(v: unknown, field: string): void {
  if (v !== undefined && typeof v !== 'function') throw bad(field, 'a function', v);
}

export function checkSignal(v: unknown, field: string): void {
  if (v !== undefined && !(v instanceof AbortSignal)) throw bad(field, 'an AbortSignal', v);
}

export function resolveLock(o: LockOptions): LockSettings {
  const staleMs = o.lockStaleMs ?? DEFAULT_LOCK_STALE_MS;
  if (!isPositiveInt(staleMs) || staleMs < 2000) throw bad('options.lockStaleMs', 'an integer >= 2000', staleMs);
  const timeoutMs = o.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  if (!isPositiveInt(timeoutMs)) throw bad('options.lockTimeoutMs', 'a positive integer', timeoutMs);
  return { staleMs, timeoutMs };
}
