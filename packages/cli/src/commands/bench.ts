// `threadwal bench`: runs the benchmark suite's quick mode. The suite (and the peers it
// compares with: better-sqlite3, lmdb, pino) lives in the repository, not in any package,
// so it is looked for relative to this file (packages/cli/dist/src/commands → the
// repository root), and the command exists only where the suite does: an installed
// threadwal has no `bench` rather than one that cannot run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

const SUITE = fileURLToPath(new URL('../../../../../dist-scripts/bench/index.js', import.meta.url));

/** Adds `bench` when the suite is built; the command's exit code is the suite's. */
export function registerBench(program: Command): void {
  if (!existsSync(SUITE)) return;
  program
    .command('bench')
    .description("run the benchmark suite's quick mode (arguments after -- go to the suite)")
    .argument('[suite-args...]', 'extra arguments for the suite, e.g. -- --cases threadwal')
    .addHelpText('after', `\nThe suite is ${SUITE}.`)
    .action(async (suiteArgs: string[]) => {
      process.exitCode = await bench(suiteArgs);
    });
}

async function bench(suiteArgs: string[]): Promise<number> {
  const child = spawn(process.execPath, [SUITE, '--quick', ...suiteArgs], { stdio: 'inherit' });
  // Ctrl-C reaches the suite too (same process group); let it stop and report its own way.
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
    });
  } finally {
    process.off('SIGINT', ignore);
  }
}
