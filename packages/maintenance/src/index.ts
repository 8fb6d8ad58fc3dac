// @threadwal/maintenance: rotate, cleanup, readWal and verify for threadwal's segments.
// rotate, cleanup and verify run in a piscina pool (the writers' lock is only loaded
// there); readWal runs on the caller's thread with async reads.
export { rotate } from './lifecycle/rotate.js';
export { cleanup } from './lifecycle/cleanup.js';
export { verify } from './verify/verify.js';
export { readWal } from './read/read.js';
export { RECORD_LINE } from './read/parsed-cursor.js';
export type { WalReader, RawWalReader, ReaderState } from './read/read.js';
export type { RawRecord, RawChunk } from './read/raw-cursor.js';
export type { SkippedRun } from './read/read-state.js';
export { closePool } from './pool/pool.js';
export { applyRetention } from './lifecycle/retention.js';
export { compress } from './lifecycle/compress.js';
export { readCursor, commitCursor, getCursor, listCursors, deleteCursor } from './cursors/cursors.js';
/** Moved to core (the writer's retention reads cursors); still exported here for compatibility. */
export { cursorsDir } from '@threadwal/core';
export type { CursorInfo } from './cursors/cursors.js';
export { cursorStatus } from './cursors/cursor-lag.js';
export type { CursorStatus } from './cursors/cursor-lag.js';
export type {
  Progress, LockOptions, RotateOptions, RotateResult, CleanupOptions, CleanupResult, BadLine,
  VerifyOptions, VerifyReport, SegmentReport, ReadOptions,
  RetentionOptions, RetentionRunOptions, RetentionResult, ForcedPastCursor, CompressFormat, CompressOptions, CompressResult,
} from './types.js';
