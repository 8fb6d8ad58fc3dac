// `threadwal cursors <path>`: the durable consumer cursors of a WAL (`<path>.cursors/`)
// and how far behind each is, in events and bytes.
import type { Command } from 'commander';
import { requireWal } from '../wal-path.js';
import { formatSize } from '../units.js';
import { fmtInt, table } from '../report.js';

export function registerCursors(program: Command): void {
  program
    .command('cursors')
    .description('list the consumer cursors of a WAL with their lag in events and bytes')
    .argument('<path>', 'the WAL file')
    .option('--json', 'print the cursors as JSON')
    .addHelpText('after', '\nA cursor is committed by readWal(path, { cursor: name }) and reader.commit(seq).\n\nExample:\n  threadwal cursors app.wal')
    .action(async (input: string, opts: { json?: boolean }) => {
      const path = requireWal(input);
      const { cursorStatus } = await import('@threadwal/maintenance');
      const list = await cursorStatus(path);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        process.stdout.write('no cursors\n');
        return;
      }
      const rowsOut = [['cursor', 'committed seq', 'lag events', 'lag bytes', 'committed at']];
      for (const c of list) {
        rowsOut.push([c.name, fmtInt(c.seq), fmtInt(c.lagEvents), `${c.approximate ? '~' : ''}${formatSize(c.lagBytes)}`, c.updatedMs ? new Date(c.updatedMs).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-']);
      }
      process.stdout.write(`${table(rowsOut, 'lrrrl', '')}\n`);
    });
}
