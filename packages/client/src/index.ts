// @threadwal/client: append from any thread, durable per-event acks.
export { openWal, connectWal, Wal } from './wal.js';
export type { WalStats } from './wal.js';
export { WalWriter } from './seed.js';
export type { WalOptions, ClientOptions } from './options.js';
export type { WaitOptions } from './abort.js';
export { WalError, isWalError } from '@threadwal/core';
export type { WalEvent, WalEventType, WalRecord, WalErrorCode, WriterOptions, RotateResult, WriterStats, RecoveryCut, CutReason } from '@threadwal/core';
