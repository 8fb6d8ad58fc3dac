// A reader that closes the pipe early (`threadwal --help | head -1`, `threadwal cat x | head`)
// is an ordinary way to end a command: the EPIPE that follows ends it quietly with exit 0,
// like coreutils under a closed pipe, instead of an unhandled 'error' with a stack.
let installed = false;

/** Makes EPIPE on stdout/stderr end the command quietly (exit 0); other stream errors still throw. */
export function quietOnClosedPipe(): void {
  if (installed) return;
  installed = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      // Nothing more can be shown. Commands that stream (cat, tail -f) stop through
      // Output's own listener; the rest end on their own with nothing left to write.
      process.exitCode = 0;
      stream.destroy();
    });
  }
}
