// Deno ends a process (or a worker thread) that has an uncaught exception or an unhandled
// rejection without emitting process 'exit', so the exit hook would not run and events
// appended without a promise would be lost; its global 'error' and 'unhandledrejection'
// events do fire first. Node and Bun emit 'exit' then: nothing to do there.
import { RUNTIME } from '@threadwal/core';

/** On Deno, runs `fn` when an uncaught error is about to end this thread (it may also run when an app handler keeps the thread alive: `fn` must only flush). */
export function onUncaughtWithoutExit(fn: () => void): void {
  if (RUNTIME !== 'deno') return;
  const scope = globalThis as unknown as EventTarget;
  scope.addEventListener('error', fn);
  scope.addEventListener('unhandledrejection', fn);
}
