// @threadwal/maintenance: rotate, cleanup, readWal and verify for threadwal's segments.
// rotate, cleanup and verify run in a piscina pool (the writers' lock is only loaded
// there); readWal runs on the caller's thread with async reads.
export { rotate } from './rotate.js';
export { cleanup } from './cleanup.js';
export { verify } from './verify.js';
export { readWal } from './read.js';
export type { WalReader } from './read.js';
export type { SkippedRun } from './read-segment.js';
export { closePool } from './pool.js';
export type {
  Progress, LockOptions, RotateOptions, RotateResult, CleanupOptions, CleanupResult, BadLine,
  VerifyOptions, VerifyReport, SegmentReport, ReadOptions,
} from './types.js';
