// The control calls (stats, rotate, close) in flight to a host's writer thread. comlink never
// settles a call whose thread exited, so each call races the thread's exit. One 'exit'
// listener per thread serves them all (the host's, which calls exited()): a listener per call
// made Node print MaxListenersExceededWarning past 10 calls at once. The thread is ref'd while
// any call runs, so a pending call keeps the process alive as long as it waits.
import type { Worker } from 'node:worker_threads';
import { WalError } from '../errors.js';

interface Waiting {
  readonly worker: Worker;
  readonly fail: (code: number) => void;
}

export class ControlCalls {
  readonly #path: string;
  #running = 0;
  readonly #waiting = new Set<Waiting>();

  constructor(path: string) {
    this.#path = path;
  }

  /**
   * Runs `call` on `worker`'s control port. Rejects with EWORKER if the thread exits first,
   * unless `exitIsOk` (close: the thread ends right after it replies, and its exit can overtake the reply).
   */
  async run<T>(worker: Worker, call: () => Promise<T>, exitIsOk = false): Promise<T> {
    if (this.#running++ === 0) worker.ref();
    let waiting: Waiting | null = null;
    try {
      if (exitIsOk) return await call();
      const died = new Promise<never>((_, reject) => {
        waiting = { worker, fail: (code) => reject(new WalError('EWORKER', `the writer thread exited (code ${code}) during a control call`, { path: this.#path })) };
        this.#waiting.add(waiting);
      });
      return await Promise.race([call(), died]);
    } finally {
      if (waiting !== null) this.#waiting.delete(waiting);
      if (--this.#running === 0) worker.unref();
    }
  }

  /** `worker` exited: the calls waiting on it fail with EWORKER. */
  exited(worker: Worker, code: number): void {
    for (const w of this.#waiting) {
      if (w.worker !== worker) continue;
      this.#waiting.delete(w);
      w.fail(code);
    }
  }
}
