// Test-only switches, read once when this module loads (in the writer thread: at its start).
// Never set them in production.
//
// THREADWAL_TEST_DROP_FSYNC=<name> skips one fsync, so that the crash-state explorer
// (test/reliability/explorer) can show it notices a missing one:
//   ack         the fdatasync/fsync of a batch before it is acknowledged
//   rotate-dir  the directory fsync that makes a rotation's renames and new file durable
//               (shiftSegments'; the reopen's own directory fsync of the new empty file
//               is skipped with it, since it makes the same entries durable)
export const DROPPED_FSYNC: string = readSwitch('THREADWAL_TEST_DROP_FSYNC');

/** An environment variable, or '' where reading it is not allowed (Deno without --allow-env). */
function readSwitch(name: string): string {
  try {
    return process.env[name] ?? '';
  } catch {
    return '';
  }
}
