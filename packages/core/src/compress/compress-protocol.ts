// Messages between the writer thread and its compress thread (writer-compression.ts,
// compress-worker.ts): one request at a time, answered once.
import type { WireError } from '../errors.js';

/** Writer → compress thread: gzip the plain rotated segment named `file` now into `tmp`. */
export interface GzipRequest {
  type: 'gzip';
  id: number;
  file: string;
  tmp: string;
  level: number;
}

/** Compress thread → writer. */
export type GzipReply =
  /** `tmp` holds a durable gzip copy of the file with this identity (it may have been renamed since). */
  | { type: 'done'; id: number; dev: number; ino: number; bytesIn: number; bytesOut: number }
  /** `file` was not there any more (shifted or deleted since it was listed); no temp was made. */
  | { type: 'gone'; id: number }
  /** It failed; `tmp` has been removed. */
  | { type: 'failed'; id: number; error: WireError };
