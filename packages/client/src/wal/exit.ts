// Exit safety: one 'exit' listener per thread for all WALs (never one per WAL), which makes
// what each open handle appended durable. A handle stays registered until close(): one the
// app dropped without closing still has its events flushed at exit. (They were held weakly
// before; Bun's GC, and Node's after the last reference went, collected such a handle with
// events still in flight, and an uncaught exception then lost them.) An unclosed handle
// keeps its writer thread anyway, so this keeps nothing alive that was not already.
// An 'exit' listener never keeps the process alive.

import { releaseWriterLocksAtExit } from '@threadwal/core';
import { onUncaughtWithoutExit } from './uncaught.js';

interface Flushable {
  exitFlush(): void;
}

const open = new Set<Flushable>();
let installed = false;

function flushAll(): void {
  for (const target of open) target.exitFlush();
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
  open.add(target);
  return () => {
    open.delete(target);
  };
}
