// The `threadwal` command: wires the subcommands (src/commands/*.ts) into commander and
// turns every failure into one line on stderr and an exit code (see errors.ts). Commands
// load @threadwal/maintenance (and its thread pool) when they run, so that `--help` and
// usage errors answer at node's own startup speed.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describeError, EXIT_OK } from './errors.js';
import { quietOnClosedPipe } from './epipe.js';
import { registerCat } from './commands/cat.js';
import { registerTail } from './commands/tail.js';
import { registerVerify } from './commands/verify.js';
import { registerStats } from './commands/stats.js';
import { registerRotate } from './commands/rotate.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerBench } from './commands/bench.js';
import { registerCompress } from './commands/compress.js';
import { registerCursors } from './commands/cursors.js';
import { registerShip } from './commands/ship.js';
import { registerShipRead } from './commands/ship-read.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The command tree; exported for tests and tools that embed the CLI. */
export function buildProgram(): Command {
  const program = new Command('threadwal')
    .description('Read, check and maintain threadwal write-ahead logs.')
    .version(pkg.version, '-V, --version')
    // Set before the subcommands are added: commander copies both settings into each.
    .exitOverride()
    .configureOutput({
      // Commander's own errors (unknown option, missing argument, bad value) as one line.
      outputError: (str, write) => write(`threadwal: ${str.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .addHelpText('after', '\nRun `threadwal <command> --help` for the options of a command.');
  registerCat(program);
  registerTail(program);
  registerVerify(program);
  registerStats(program);
  registerRotate(program);
  registerCleanup(program);
  registerCompress(program);
  registerCursors(program);
  registerBench(program);
  registerShip(program);
  registerShipRead(program);
  return program;
}

/** Runs the command line `argv` (node, script, args…); resolves with the exit code. Never throws. */
export async function main(argv: string[] = process.argv): Promise<number> {
  quietOnClosedPipe();
  try {
    await buildProgram().parseAsync(argv);
    return Number(process.exitCode ?? EXIT_OK);
  } catch (err) {
    const { message, exitCode, stack } = describeError(err);
    if (message) process.stderr.write(`threadwal: ${message}\n`);
    if (stack) process.stderr.write(`${stack}\n`);
    return exitCode;
  }
}
