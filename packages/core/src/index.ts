// @threadwal/core: the on-disk format, recovery, segments and the writer thread's handle.
// The cross-process lock lives at '@threadwal/core/lock' and is for worker threads only.
export { WalError, WAL_ERROR_CODES, isWalError, toWire, fromWire, fromFsError } from './errors.js';
export type { WalErrorCode, WireError } from './errors.js';
export { encodeBody, encodeRawBody, encodeLine, parseLine, peekSeq, tooBig } from './format.js';
export { writeBody, writeRawBody, roomFor, SEQ_PREFIX_MAX } from './body-writer.js';
export type { WalEvent, WalEventType, WalRecord } from './format.js';
export { resolveWriterOptions, isPositiveInt, checkOptionKeys, WRITER_OPTION_KEYS } from './options.js';
export type { WriterOptions, ResolvedWriterOptions, Durability, LockMode } from './options.js';
export { segmentPath, segmentPaths, rotatedIndexes, rotatedSegmentFile, COMPRESSED_SUFFIX, metaPath, readMetaNextSeq, writeMetaNextSeq, readWalId, ensureWalId, shiftSegments } from './segments.js';
export { crc32c, checkLineChecksum, CHECKSUM_BYTES, Stamper } from './checksum.js';
export { recoverTail, lastSeqOfFile, nextSeqFor, lastNewline, looksTornFirstBatch } from './recover.js';
export type { RecoveryCut, CutReason, TailState } from './recover.js';
export { fsSeam, fsyncDir, readFully } from './fs-seam.js';
export type { FsSeam, FaultInstaller } from './fs-seam.js';
export { installWalErrorTransfer } from './comlink-errors.js';
export { openWriter, openWriterNow, canonicalWalPath, WriterHost, releaseWriterLocksAtExit, rearmWriterLocksAtExit } from './writer.js';
export { resolveWalPath, walExists } from './wal-path.js';
export type { ResolveWalPathOptions } from './wal-path.js';
export type { Connection } from './writer.js';
export * from './protocol.js';
export { TRACE, absNow, threadTrace, PhaseTrace, T_RECV, T_CYCLE, T_LOCKED, T_WRITTEN, T_SYNCED, T_ACKED, T_FREE } from './trace.js';
export type { TraceSummary, PhaseSummary } from './trace.js';
