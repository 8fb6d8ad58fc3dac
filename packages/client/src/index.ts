// @threadwal/client: append from any thread, durable per-event acks.
export { openWal, connectWal, Wal } from './wal/wal.js';
export type { WalStats } from './wal/wal.js';
export { WalWriter } from './wal/seed.js';
export { walForThread } from './wal/thread-wal.js';
export type { ThreadMessageSource } from './wal/thread-requests.js';
export type { WalOptions, ClientOptions } from './options.js';
export type { WaitOptions } from './wal/abort.js';
export { WalError, isWalError } from '@threadwal/core';
export type { WalEvent, WalEventType, WalRecord, WalErrorCode, WriterOptions, RotateResult, WriterStats, RecoveryCut, CutReason } from '@threadwal/core';
