// Two allocation- and overhead-savers for the per-event path of Batcher.
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

// Buffer#write's argument juggling costs ~11% of a producer's time; utf8Write is the native
// method it ends in (present on every Node this package supports; fall back just in case).
type Utf8Write = (this: Buffer, s: string, offset: number) => number;
export const utf8Write: Utf8Write = (Buffer.prototype as unknown as { utf8Write?: Utf8Write }).utf8Write ??
  function (this: Buffer, s: string, offset: number) { return this.write(s, offset); };
