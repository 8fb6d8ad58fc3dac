// @threadwal/client/pino-transport: the target for pino.transport({ target }), for apps that
// configure logging only through transports. thread-stream hands the target chunks of the
// shared buffer, not lines (a line can straddle two chunks), so write() frames lines itself,
// synchronously: everything thread-stream counts as read is inside the WAL's batch when a
// FLUSH arrives, and flush(cb) then calls back once it is durable. end() closes the WAL and
// emits 'close', which releases pino's end() on the main thread.
// Limits (see docs/PINO.md): one thread hop more than pinoDestination; a durable flush only
// with a single target (pino wraps several in a multistream, which has no flush); fatal is
// not durable when the call returns (thread-stream's flushSync only waits for the worker to
// read); nothing before the worker is ready survives process.exit(); thread-stream caps the
// exit flush at 10 s.
import { EventEmitter } from 'node:events';
import { WalError } from '@threadwal/core';
import { pinoDestination, type PinoDestination, type PinoDestinationOptions } from './pino.js';

/** Options of the transport target: the WAL path plus pinoDestination's options. */
export interface PinoTransportOptions extends PinoDestinationOptions {
  path: string;
}

/** What thread-stream's worker drives: write/flush/end and the 'close'/'error' events. */
export class PinoTransportTarget extends EventEmitter {
  readonly #dest: PinoDestination;
  #tail = '';

  constructor(dest: PinoDestination) {
    super();
    this.#dest = dest;
    dest.on('error', (err) => this.emit('error', err));
  }

  write(chunk: string | Buffer): boolean {
    const s = this.#tail.length > 0 ? this.#tail + String(chunk) : String(chunk);
    let start = 0;
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', start)) {
      this.#dest.write(s.slice(start, nl + 1));
      start = nl + 1;
    }
    this.#tail = start === s.length ? '' : s.slice(start);
    return true;
  }

  flush(cb: (err?: Error | null) => void): void {
    this.#dest.flush(cb);
  }

  flushSync(): void {
    this.#dest.flushSync();
  }

  end(): void {
    if (this.#tail.length > 0) {
      this.#dest.write(this.#tail);
      this.#tail = '';
    }
    this.#dest.end((err) => {
      if (err) this.emit('error', err);
      this.emit('close');
    });
  }
}

/** The transport's entry: thread-stream's worker awaits it with the options of pino.transport(). */
export default async function threadwalTransport(options: PinoTransportOptions): Promise<PinoTransportTarget> {
  if (options === null || typeof options !== 'object' || typeof options.path !== 'string' || options.path.length === 0) {
    throw new WalError('EINVAL', 'the threadwal pino transport needs options.path, the WAL path');
  }
  // thread-stream and pino add these; they are not WAL options.
  const { path, $context: _c, pinoWillSendConfig: _w, ...rest } = options as PinoTransportOptions & { $context?: unknown; pinoWillSendConfig?: unknown };
  const dest = pinoDestination(path, { ...rest, signals: false });
  await dest.ready; // an unopenable WAL fails the transport at once, not line by line
  return new PinoTransportTarget(dest);
}
