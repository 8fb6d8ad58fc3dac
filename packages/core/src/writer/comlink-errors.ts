// Comlink sends a thrown Error as { message, name, stack }, which would lose WalError's
// `code`. This wraps its "throw" transfer handler so a WalError crosses as WireError and is
// rebuilt on the other side. Call once per thread that uses comlink (idempotent).
import { transferHandlers, type TransferHandler } from 'comlink';
import { WalError, toWire, fromWire, type WireError } from '../errors.js';

let installed = false;

export function installWalErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const base = transferHandlers.get('throw') as TransferHandler<{ value: unknown }, unknown>;
  const handler: TransferHandler<{ value: unknown }, unknown> = {
    canHandle: (v): v is { value: unknown } => base.canHandle(v),
    serialize(thrown) {
      if (thrown.value instanceof WalError) return [{ isWalError: true, value: toWire(thrown.value) }, []];
      return base.serialize(thrown);
    },
    deserialize(serialized) {
      const s = serialized as { isWalError?: boolean; value: WireError };
      if (s?.isWalError) throw fromWire(s.value);
      return base.deserialize(serialized);
    },
  };
  transferHandlers.set('throw', handler);
}
