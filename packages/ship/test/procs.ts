// Child processes for the kill tests: shippers and appenders, started and SIGKILLed at will.
import { spawn, type ChildProcess } from 'node:child_process';
import { fixture } from './helpers.js';

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) c.kill('SIGKILL'); });

export interface Proc {
  child: ChildProcess;
  out: string;
  err: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startProc(name: string, args: string[]): Proc {
  const child = spawn(process.execPath, [fixture(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const p: Proc = { child, out: '', err: '', exited: undefined as never };
  child.stdout!.on('data', (d) => { p.out += d; });
  child.stderr!.on('data', (d) => { p.err += d; });
  p.exited = new Promise((resolve) => child.once('close', (code, signal) => { live.delete(child); resolve({ code, signal }); }));
  return p;
}

export function startShipper(opts: Record<string, unknown>): Proc {
  return startProc('shipper', [JSON.stringify(opts)]);
}

export async function sigkill(p: Proc): Promise<void> {
  p.child.kill('SIGKILL');
  await p.exited;
}

/** Resolves once a shipper child has loaded and installed its SIGTERM handler (it prints `started`). */
export async function started(p: Proc): Promise<void> {
  const end = Date.now() + 60_000;
  while (!p.err.includes('started') && p.child.exitCode === null && Date.now() < end) await sleep(10);
}

/** SIGTERM (once the child has said `started`, for a shipper: its handler is installed) and wait; returns the exit. */
export async function sigterm(p: Proc): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const end = Date.now() + 60_000;
  while (p.child.spawnargs.some((a) => a.endsWith('shipper.js')) && !p.err.includes('started') && p.child.exitCode === null && Date.now() < end) await sleep(20);
  p.child.kill('SIGTERM');
  return p.exited;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** mulberry32: a seeded PRNG so a failing run can be replayed (seed printed by the test). */
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number } {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}
