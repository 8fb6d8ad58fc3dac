// @threadwal/ship: ship a threadwal WAL to a NATS JetStream stream, exactly once per seq.
export { ship, Shipper } from './shipper.js';
export type { ShipOptions } from './options.js';
export type { ShipStatus, ShipResult } from './status.js';
export { ShipError, isShipError } from './errors.js';
export type { ShipErrorReason } from './errors.js';
export { FileCheckpoint, checkpointPath, shippedThrough } from './checkpoint.js';
export type { Checkpoint, CheckpointState } from './checkpoint.js';
export type { BackoffOptions } from './backoff.js';
export { HDR_SEQ, HDR_ID, subjectMatches } from './stream.js';
