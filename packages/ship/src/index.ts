// @threadwal/ship: ship a threadwal WAL to a NATS JetStream stream, exactly once per seq.
export { ship, Shipper } from './shipper.js';
export type { ShipOptions, BatchOptions } from './options.js';
export type { NatsAuth, NatsTls } from './connect-options.js';
export { DEFAULT_BATCH_EVENTS, DEFAULT_BATCH_BYTES } from './options.js';
export type { ShipStatus, ShipResult } from './status.js';
export { ShipError, isShipError } from './errors.js';
export type { ShipErrorReason } from './errors.js';
export { FileCheckpoint, checkpointPath, shippedThrough } from './checkpoint.js';
export type { Checkpoint, CheckpointState } from './checkpoint.js';
export type { BackoffOptions } from './backoff.js';
export { HDR_SEQ, HDR_LAST_SEQ, HDR_ID, msgId } from './message.js';
export { subjectMatches } from './stream.js';
export { readStream, streamSeqOf } from './read-stream.js';
export type { ReadStreamOptions, StreamLine, StreamReader } from './read-stream.js';
