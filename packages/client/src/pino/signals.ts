// SIGTERM/SIGINT/SIGHUP with no handler of the app's own would kill the process without an
// 'exit' event, so nothing flushes (pinojs/pino#2002). One listener per signal (prepended, so
// it counts the others reliably, the h3js/srvx#274 pattern): when it is the only listener it
// flushes every registered target, then removes itself and re-raises the signal, so the
// process dies of it with the usual exit status. When the app has its own listener, the app
// keeps control (and its process.exit() runs the exit hook). Main thread only: Node does not
// deliver signals to worker threads.
import { isMainThread } from 'node:worker_threads';
import { releaseWriterLocksAtExit } from '@threadwal/core';

interface SignalFlushable {
  flushSync(): void;
}

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const SIGNUM: Record<(typeof SIGNALS)[number], number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };
const refs = new Set<WeakRef<SignalFlushable>>();
const registry = new FinalizationRegistry<WeakRef<SignalFlushable>>((ref) => refs.delete(ref));
let installed = false;

function onSignal(sig: (typeof SIGNALS)[number]): void {
  if (process.listenerCount(sig) > 1) return; // the app has a handler: it decides
  for (const ref of refs) {
    try {
      ref.deref()?.flushSync();
    } catch (err) {
      process.stderr.write(`threadwal: lines may not be durable at ${sig}: ${(err as Error).message}\n`);
    }
  }
  releaseWriterLocksAtExit();
  uninstall();
  try {
    process.kill(process.pid, sig);
  } catch {
    process.exit(128 + SIGNUM[sig]);
  }
}

const listeners = new Map(SIGNALS.map((s) => [s, () => onSignal(s)] as const));

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const [s, fn] of listeners) process.removeListener(s, fn);
}

/** Flushes `target` before a default-handled SIGTERM/SIGINT/SIGHUP ends the process. Returns the unregister function. */
export function registerSignalFlush(target: SignalFlushable): () => void {
  if (!isMainThread) return () => undefined;
  if (!installed) {
    installed = true;
    for (const [s, fn] of listeners) process.prependListener(s, fn);
  }
  const ref = new WeakRef(target);
  refs.add(ref);
  registry.register(target, ref, ref);
  return () => {
    refs.delete(ref);
    registry.unregister(ref);
    if (refs.size === 0) uninstall();
  };
}
