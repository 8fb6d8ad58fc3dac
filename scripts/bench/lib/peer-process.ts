// A child process driven over IPC by a case: spawned (optionally under `taskset -c CPU`, which
// execs node in place, so the pid is the server's own and /proc/<pid> describes it), asked by
// message and answered by message type. Its output is kept (tail only) for error reports.
import { spawn, type ChildProcess } from 'node:child_process';

interface Waiter {
  type: string;
  resolve: (m: Record<string, unknown>) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class PeerProcess {
  readonly #child: ChildProcess;
  readonly #name: string;
  #waiters: Waiter[] = [];
  #output = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<void>;

  constructor(name: string, entry: string, args: string[], cpu: string | null, env?: NodeJS.ProcessEnv) {
    this.#name = name;
    // Under `--cpu-prof DIR` (index.ts) every peer writes its profiles (one per thread) there too.
    const prof = process.env.THREADWAL_BENCH_CPU_PROF;
    const argv = [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), entry, ...args];
    const opts = { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] as ['ignore', 'pipe', 'pipe', 'ipc'], env: env ?? process.env };
    this.#child = cpu === null ? spawn(process.execPath, argv, opts) : spawn('taskset', ['-c', cpu, process.execPath, ...argv], opts);
    const keep = (b: Buffer): void => {
      this.#output = (this.#output + b.toString()).slice(-3000);
    };
    this.#child.stdout!.on('data', keep);
    this.#child.stderr!.on('data', keep);
    this.#child.on('message', (m: Record<string, unknown>) => this.#onMessage(m));
    this.exited = new Promise((resolve) => {
      this.#child.on('exit', (code, signal) => {
        this.#exit = { code, signal };
        for (const w of this.#waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`${this.#name} exited (${signal ?? `code ${code}`}) while a '${w.type}' was awaited${this.tail()}`));
        }
        resolve();
      });
      this.#child.on('error', (err) => {
        for (const w of this.#waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(new Error(`${this.#name}: ${err.message}`));
        }
        resolve();
      });
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** The end of its stdout/stderr, for an error message. */
  tail(): string {
    const t = this.#output.trim().split('\n').slice(-4).join(' | ');
    return t ? `: ${t}` : '';
  }

  #onMessage(m: Record<string, unknown>): void {
    if (m.type === 'error') {
      for (const w of this.#waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new Error(`${this.#name}: ${String(m.error)}`));
      }
      return;
    }
    const i = this.#waiters.findIndex((w) => w.type === m.type);
    if (i === -1) return;
    const [w] = this.#waiters.splice(i, 1);
    clearTimeout(w!.timer);
    w!.resolve(m);
  }

  /** The next message of `type` (sending `message` first, if given). */
  next<T>(type: string, timeoutMs: number, message?: object): Promise<T> {
    if (this.#exit) return Promise.reject(new Error(`${this.#name} has exited (${this.#exit.signal ?? `code ${this.#exit.code}`})${this.tail()}`));
    const p = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.timer !== timer);
        reject(new Error(`${this.#name}: no '${type}' within ${timeoutMs} ms${this.tail()}`));
      }, timeoutMs);
      this.#waiters.push({ type, resolve: resolve as (m: Record<string, unknown>) => void, reject, timer });
    });
    if (message) this.#child.send(message);
    return p;
  }

  send(message: object): void {
    if (!this.#exit && this.#child.connected) this.#child.send(message);
  }

  /** Ends it hard (after a failure); waits for the exit. */
  async kill(): Promise<void> {
    if (!this.#exit) this.#child.kill('SIGKILL');
    await this.exited;
  }
}
