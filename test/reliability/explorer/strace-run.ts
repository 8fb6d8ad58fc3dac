// Crash-state explorer: runs one workload under strace and returns its completed calls.
// `-f` follows every thread and child process (the writer thread, the maintenance pool,
// a second appender process); `-y` names the file behind every fd; `-xx` prints every
// string as hex escapes (exact bytes, trivially parsed); `-v` and a large `-s` keep iovec
// arrays and write buffers whole; `--seccomp-bpf` stops the tracee only for the calls
// traced. UV_USE_IO_URING=0: libuv may submit file operations through io_uring, which
// strace cannot show; io_uring_setup/enter are traced so that a trace using it is refused
// (fs-ops.ts) rather than silently missing writes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTrace, type Syscall } from './trace-parse.js';
import { TRACED_SYSCALLS, UNMODELED } from './ops.js';

const STRING_LIMIT = 64 * 1024 * 1024;

let probed: { ok: boolean; why: string; seccomp: boolean } | undefined;

/** Whether strace can trace here (installed, ptrace permitted), and if not why. */
export function straceStatus(): { ok: boolean; why: string; seccomp: boolean } {
  if (probed) return probed;
  const base = ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=openat'];
  const plain = spawnSync('strace', [...base, process.execPath, '-e', '0'], { encoding: 'utf8' });
  if (plain.error) return (probed = { ok: false, why: `strace cannot run: ${plain.error.message}`, seccomp: false });
  if (plain.status !== 0) return (probed = { ok: false, why: `strace cannot trace here (exit ${plain.status}): ${plain.stderr.trim().split('\n')[0]}`, seccomp: false });
  const fast = spawnSync('strace', ['--seccomp-bpf', ...base, process.execPath, '-e', '0'], { encoding: 'utf8' });
  return (probed = { ok: true, why: '', seccomp: fast.status === 0 });
}

export interface TraceRun {
  calls: Syscall[];
  stdout: string;
  stderr: string;
}

/** Runs `node script ...args` under strace (env merged over ours) and parses its trace. */
export async function traceNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<TraceRun> {
  const status = straceStatus();
  if (!status.ok) throw new Error(status.why);
  const dir = mkdtempSync(join(tmpdir(), 'threadwal-strace-'));
  const file = join(dir, 'trace');
  try {
    const flags = [
      ...(status.seccomp ? ['--seccomp-bpf'] : []),
      '-f', '-qq', '-y', '-xx', '-v', '-tt', '-s', String(STRING_LIMIT), '-o', file,
      '-e', `trace=${[...TRACED_SYSCALLS, ...UNMODELED].join(',')}`,
      '-e', 'signal=none',
    ];
    // stdout (the markers) goes to a file: a pipe the parent drains too slowly would make the
    // workload's write(2) fail with EAGAIN. The markers are read from the trace anyway.
    const out = openSync(join(dir, 'stdout'), 'w');
    let child;
    try {
      child = spawn('strace', [...flags, process.execPath, script, ...args], {
        env: { ...process.env, UV_USE_IO_URING: '0', ...env },
        stdio: ['ignore', out, 'pipe'],
      });
    } finally {
      closeSync(out);
    }
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    const stdout = readFileSync(join(dir, 'stdout'), 'utf8');
    if (code !== 0) throw new Error(`workload ${script} ${args.join(' ')} exited ${code}:\n${stderr}\n${stdout.slice(-2000)}`);
    return { calls: parseTrace(readFileSync(file, 'latin1')), stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
