// Which JavaScript runtime this is, and what threadwal needs of it. threadwal runs on Node,
// Bun and Deno (docs/API.md, Runtimes); what a runtime cannot give it is a WalError ERUNTIME at
// the call that needs it, never a hang or a crash inside a thread:
// - a Bun or Deno older than the oldest version the runtime suite passed on (test/runtimes:
//   Bun 1.3.14 hangs in the thread test and when the writer thread exits, and crashes when
//   it throws; Deno 2.7.14 lacks perf_hooks.createHistogram, which the maintenance pool
//   needs, and 2.5.6 also hangs when the writer thread dies);
// - Deno without a permission the call needs (checkRuntime says which flags to add).

import { dirname, resolve } from 'node:path';
import { WalError } from '../errors.js';

interface PermissionDesc {
  name: string;
  path?: string;
  kind?: string;
  host?: string;
  variable?: string;
}
interface DenoPermissions {
  querySync(desc: PermissionDesc): { state: string };
}
interface DenoGlobal {
  version: { deno: string };
  permissions: DenoPermissions;
}

const deno = (globalThis as { Deno?: DenoGlobal }).Deno;
const bunVersion = (process.versions as { bun?: string }).bun;

export type RuntimeName = 'node' | 'bun' | 'deno';

/** The runtime running this code. */
export const RUNTIME: RuntimeName = deno ? 'deno' : bunVersion ? 'bun' : 'node';

/** Its version (Node's for node). */
export const RUNTIME_VERSION: string = deno ? deno.version.deno : bunVersion ?? process.versions.node;

/** The oldest version of each runtime the runtime suite passes on (docs/API.md, Runtimes). */
export const MIN_VERSIONS: Record<RuntimeName, string> = { node: '20.19.0', bun: '1.4.0', deno: '2.8.0' };

/** a < b for dotted numeric versions (a pre-release suffix is ignored). */
export function olderThan(a: string, b: string): boolean {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < 3; i++) {
    const x = pa[i] || 0, y = pb[i] || 0;
    if (x !== y) return x < y;
  }
  return false;
}

/**
 * A variable of the environment, or undefined when it is unset or the runtime will not say
 * (Deno without --allow-env): reading it must never make an import fail.
 */
export function envVar(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

function denied(desc: PermissionDesc): boolean {
  try {
    return deno!.permissions.querySync(desc).state !== 'granted';
  } catch {
    return false; // a descriptor this Deno does not know: let the call itself say
  }
}

/** What a call needs besides reading the WAL's directory. */
export interface RuntimeNeeds {
  /** It writes beside the WAL (segments, cursors, checkpoints). */
  write?: boolean;
  /** It starts a thread that takes the lock or runs a maintenance job (the writer thread, the
   * pool): their dependencies read the environment, and the lock stamps this host's name. */
  threads?: boolean;
  /** NATS servers it connects to, "host:port". */
  hosts?: string[];
}

/** Variables the threads' dependencies (graceful-fs, piscina) read as they load. */
const THREAD_ENV = ['GRACEFUL_FS_PLATFORM', 'NODE_DEBUG', 'TEST_GRACEFUL_FS_GLOBAL_PATCH', 'PISCINA_DISABLE_ATOMICS', 'PISCINA_ENABLE_ASYNC_ATOMICS'];

/**
 * Throws WalError ERUNTIME when this runtime cannot do what `what` on the WAL at `path`
 * needs: too old a Bun or Deno, or (Deno) a permission not granted: read of the WAL's
 * directory always, write with `write`, env and sys "hostname" with `threads`, net to each
 * of `hosts`. No-op on Node.
 */
export function checkRuntime(path: string, what: string, needs: RuntimeNeeds = {}): void {
  if (RUNTIME === 'node') return;
  const min = MIN_VERSIONS[RUNTIME];
  if (olderThan(RUNTIME_VERSION, min)) {
    throw new WalError('ERUNTIME', `${what} needs ${RUNTIME} ${min} or later (this is ${RUNTIME_VERSION}); see docs/API.md#runtimes`, { path });
  }
  if (!deno) return;
  // The directory: segments, .meta, the lock and cursors live beside the file.
  const dir = dirname(resolve(path));
  const missing: string[] = [];
  if (denied({ name: 'read', path: dir })) missing.push('--allow-read');
  if (needs.write && denied({ name: 'write', path: dir })) missing.push('--allow-write');
  if (needs.threads && THREAD_ENV.some((variable) => denied({ name: 'env', variable }))) missing.push('--allow-env');
  if (needs.threads && denied({ name: 'sys', kind: 'hostname' })) missing.push('--allow-sys=hostname');
  const unreachable = (needs.hosts ?? []).filter((host) => denied({ name: 'net', host }));
  if (unreachable.length > 0) missing.push(`--allow-net=${unreachable.join(',')}`);
  if (missing.length > 0) {
    throw new WalError('ERUNTIME', `${what} on Deno needs ${missing.join(' ')} (for ${dir}; or -A); see docs/API.md#runtimes`, { path });
  }
}
