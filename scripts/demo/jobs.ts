// The demo's workload, run the same way on the main thread and in each worker: keep
// `inFlight` jobs going until the deadline, each writing its lifecycle to the WAL one
// event at a time and awaiting the durable ack before taking the next step, as a job
// runner that must not act on a step it could lose in a crash would. Every ack's
// latency (append call → promise resolved) is recorded.
import { performance } from 'node:perf_hooks';
import type { Wal } from '@threadwal/client';

/** What one thread reports back (plain data: it crosses the worker boundary). */
export interface ThreadResult {
  thread: string;
  jobs: number;
  failed: number;
  events: number;
  /** One ack latency per event, µs. */
  latenciesUs: Float32Array;
}

const CAPABILITIES = ['FileRead', 'FileWrite', 'ShellExec', 'HttpGet', 'GitClone'] as const;
const COMMANDS: Record<(typeof CAPABILITIES)[number], string[]> = {
  FileRead: ['cat config.toml', 'head -n 20 build.log', 'stat target/release/app'],
  FileWrite: ['write report.json', 'append audit.log', 'write cache/index.bin'],
  ShellExec: ['cargo test --quiet', 'npm run lint', 'make -j2'],
  HttpGet: ['GET https://api.example.com/v1/status', 'GET https://registry.example.com/pkg/app'],
  GitClone: ['git clone --depth 1 https://git.example.com/app.git'],
};
const FAILURE_RATE = 0.04;

/** A growable Float32Array: appending a sample costs no allocation in the steady state. */
class Samples {
  #buf = new Float32Array(1 << 16);
  #n = 0;
  add(v: number): void {
    if (this.#n === this.#buf.length) {
      const next = new Float32Array(this.#buf.length * 2);
      next.set(this.#buf);
      this.#buf = next;
    }
    this.#buf[this.#n++] = v;
  }
  take(): Float32Array {
    return this.#buf.slice(0, this.#n);
  }
}

function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)]!;
}

/** Runs jobs on `wal` until `deadline` (performance.now() ms), then lets the in-flight ones finish. */
export async function runJobs(wal: Wal, thread: string, deadline: number, inFlight: number): Promise<ThreadResult> {
  const samples = new Samples();
  let jobs = 0;
  let failed = 0;
  let events = 0;

  const durably = async (event: Parameters<Wal['append']>[0]): Promise<void> => {
    const t0 = performance.now();
    await wal.append(event);
    samples.add((performance.now() - t0) * 1000);
    events++;
  };

  const runOne = async (n: number): Promise<void> => {
    const job_id = `${thread}-${String(n).padStart(6, '0')}`;
    const capability = pick(CAPABILITIES);
    await durably({ type: 'job_submitted', job_id, capability });
    await durably({ type: 'job_validated', job_id, capability });
    await durably({ type: 'job_started', job_id, capability });
    const steps = 1 + Math.floor(Math.random() * 3);
    for (let s = 0; s < steps; s++) {
      const command = pick(COMMANDS[capability]);
      await durably({ type: 'command_executed', job_id, capability, output: { command, exit_code: 0, duration_ms: 1 + Math.floor(Math.random() * 400) } });
    }
    if (Math.random() < FAILURE_RATE) {
      failed++;
      await durably({ type: 'job_failed', job_id, capability, error: `${capability} exited with status 1` });
    } else {
      await durably({ type: 'job_completed', job_id, capability, output: { steps } });
    }
    jobs++;
  };

  let next = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < deadline) await runOne(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { thread, jobs, failed, events, latenciesUs: samples.take() };
}
