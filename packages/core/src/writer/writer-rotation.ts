// Rotation from the writer thread (writer-core.ts): by size (rotate.maxSizeBytes), by time
// (rotate.every, rotate-clock.ts) or on request (wal.rotate()), always at a batch boundary
// and under the cross-process lock; then the writer's retention and compression.
import { fromFsError, type WalError } from '../errors.js';
import type { PathLock } from '../lock/lock.js';
import type { ResolvedWriterOptions } from '../options.js';
import type { RotateResult } from '../protocol.js';
import { shiftSegments } from '../segments/segments.js';
import type { WriterCompression } from '../compress/writer-compression.js';
import type { ActiveFile } from './log-file.js';
import type { RotationClock } from './rotate-clock.js';
import type { WriterRetention } from './writer-retention.js';

interface RotateRequest {
  maxRotations: number;
  resolve: (r: RotateResult) => void;
  reject: (e: WalError) => void;
}

export class WriterRotation {
  readonly #file: ActiveFile;
  readonly #lock: PathLock;
  readonly #auto: ResolvedWriterOptions['rotate'];
  readonly #clock: RotationClock | null;
  readonly #retention: WriterRetention | null;
  readonly #compression: WriterCompression | null;
  #requests: RotateRequest[] = [];
  /** Rotations done, for stats. */
  count = 0;

  constructor(file: ActiveFile, lock: PathLock, auto: ResolvedWriterOptions['rotate'], clock: RotationClock | null, retention: WriterRetention | null, compression: WriterCompression | null) {
    this.#file = file;
    this.#lock = lock;
    this.#auto = auto;
    this.#clock = clock;
    this.#retention = retention;
    this.#compression = compression;
  }

  /** A wal.rotate() waits for the next cycle. */
  get requested(): boolean {
    return this.#requests.length > 0;
  }

  /** wal.rotate(): resolves after the next cycle's rotation (the caller schedules one). */
  request(maxRotations: number): Promise<RotateResult> {
    return new Promise((resolve, reject) => this.#requests.push({ maxRotations, resolve, reject }));
  }

  rejectAll(e: WalError): void {
    for (const r of this.#requests.splice(0)) r.reject(e);
  }

  /** Before a cycle's write: a batch of a new interval starts a new segment (time rotation happens only when there is something to write). */
  beforeWrite(): void {
    if (this.#clock?.due(this.#file, Date.now())) this.maybeRotate(true);
  }

  /** Rotates if the file is full, time is due or someone asked; retried next cycle if the lock is not ours. */
  maybeRotate(timeDue = false): void {
    const auto = this.#auto;
    const size = this.#file.size;
    const due = timeDue || (auto !== false && size >= auto.maxSizeBytes && size > 0);
    if (!due && this.#requests.length === 0) return;
    // Renames need the lock as much as writes do (and the exiting owner thread may have taken it).
    const lock = this.#lock;
    if (!lock.stillOurs() || !lock.enter()) return;
    try {
      this.#rotate();
    } finally {
      lock.leave();
    }
  }

  #rotate(): void {
    const auto = this.#auto;
    const requests = this.#requests.splice(0);
    const keep = requests.at(-1)?.maxRotations ?? (auto === false ? 0 : auto.maxRotations);
    try {
      const file = this.#file;
      const rotated = file.size > 0;
      if (rotated) {
        shiftSegments(file.path, keep, file.nextSeq, file.mode);
        this.#clock?.reset();
        this.count += 1;
        // Still under the lock (see writer-retention.ts); before reopening, so that on a full
        // disk the space is freed even if making the new file fails.
        this.#retention?.apply(Math.floor(Date.now() / 1000));
        file.closeFd();
        file.open();
        this.#compression?.kick(); // after retention: no point compressing what it deleted
      }
      for (const r of requests) r.resolve({ rotated, nextSeq: file.nextSeq });
    } catch (err) {
      const e = fromFsError(err, this.#file.path, 'rotation');
      for (const r of requests) r.reject(e);
      throw e;
    }
  }
}
