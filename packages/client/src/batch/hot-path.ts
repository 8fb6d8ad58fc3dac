// The per-event promise of Batcher.append, without a closure per event.
import type { WalError } from '@threadwal/core';

/** Settles an append's promise: with its seq, or with a rejected promise (see rejected()). */
export type Resolve = ((v: number | PromiseLike<number>) => void) | undefined;

// One shared executor instead of a closure per append: new Promise() calls it synchronously,
// so the resolvers are read right back (through these live bindings) by the caller.
// Allocation per event is the producer's main GC cost, and what is kept alive until the
// ack is what each scavenge copies: so only `resolve` is kept, and a rejection is a
// resolve with a rejected promise (the append's promise adopts it).
export let capturedRes: Resolve;
const capture = (res: (v: number | PromiseLike<number>) => void): void => {
  capturedRes = res;
};

/** A rejected promise to settle appends with; marked handled, since the appends' own promises carry the rejection. */
export function rejected(err: WalError): Promise<never> {
  const p = Promise.reject(err);
  p.catch(() => undefined);
  return p;
}

/** A new promise; its resolve function is in capturedRes until the next call. */
export function newPromise(): Promise<number> {
  return new Promise<number>(capture);
}
