// The per-event promise of Batcher.append, without a closure per event.
import type { WalError } from '@threadwal/core';

export type Resolve = ((seq: number) => void) | undefined;
export type Reject = ((err: WalError) => void) | undefined;

// One shared executor instead of a closure per append: new Promise() calls it synchronously,
// so the resolvers are read right back (through these live bindings) by the caller.
// Allocation per event is the producer's main GC cost.
export let capturedRes: Resolve;
export let capturedRej: Reject;
const capture = (res: (seq: number) => void, rej: (err: WalError) => void): void => {
  capturedRes = res;
  capturedRej = rej;
};

/** A new promise; its resolvers are in capturedRes/capturedRej until the next call. */
export function newPromise(): Promise<number> {
  return new Promise<number>(capture);
}
