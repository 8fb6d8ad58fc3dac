// Exit safety without leaks (the on-exit-leak-free pattern): one 'exit' listener per thread
// for all WALs, holding them weakly, so neither a listener per WAL accumulates nor a WAL
// is kept alive by the registration. An 'exit' listener never keeps the process alive.

import { releaseWriterLocksAtExit } from '@threadwal/core';
import { onUncaughtWithoutExit } from './uncaught.js';

interface Flushable {
  exitFlush(): void;
}

const refs = new Set<WeakRef<Flushable>>();
const registry = new FinalizationRegistry<WeakRef<Flushable>>((ref) => refs.delete(ref));
let installed = false;

function flushAll(): void {
  for (const ref of refs) ref.deref()?.exitFlush();
}

function onExit(): void {
  flushAll();
  // Then the writer threads' locks, which the exit would otherwise leave to go stale.
  releaseWriterLocksAtExit();
}

/** Runs `target.exitFlush()` when this thread exits (process.exit included). Returns the unregister function. */
export function registerExitFlush(target: Flushable): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', onExit);
    onUncaughtWithoutExit(flushAll); // Deno: no 'exit' after an uncaught error
  }
  const ref = new WeakRef(target);
  refs.add(ref);
  registry.register(target, ref, ref);
  return () => {
    refs.delete(ref);
    registry.unregister(ref);
  };
}
