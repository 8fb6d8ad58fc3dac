// `threadwal ship-read --server URL --stream NAME`: prints the WAL a stream holds (what
// `threadwal ship` put there) as JSONL, one event per line in seq order, each seq once,
// whether the messages hold one event or a batch; --from-seq starts at a WAL seq, --follow
// keeps printing new events until Ctrl-C. Pipe it to `jq`.
import { Option, type Command } from 'commander';
import { countArg } from '../options.js';
import { Output } from '../output.js';
import { addNatsConnectOptions, natsConnectOptions, withFlagNames, type NatsConnectFlags } from '../nats-connect.js';

interface ShipReadOptions extends NatsConnectFlags {
  server: string[];
  stream: string;
  fromSeq?: number;
  follow?: boolean;
  raw?: boolean;
}

function collectServers(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

const TD = new TextDecoder();

export function registerShipRead(program: Command): void {
  const cmd = program
    .command('ship-read')
    .description("print the WAL events a JetStream stream holds (what `threadwal ship` sent) as JSONL, in seq order, each once")
    .requiredOption('--server <url>', 'NATS server URL (repeat or comma-separate for a cluster)', collectServers)
    .requiredOption('--stream <name>', 'the stream `threadwal ship` ships to')
    .addOption(new Option('--from-seq <n>', 'start at this WAL seq').argParser(countArg))
    .option('--follow', 'keep printing new events until Ctrl-C')
    .option('--raw', 'print the lines exactly as the WAL stored them (a checksum field included) instead of the records');
  addNatsConnectOptions(cmd)
    .addHelpText('after', '\nExamples:\n  threadwal ship-read --server nats://127.0.0.1:4222 --stream APP | jq .job_id\n  threadwal ship-read --server nats://127.0.0.1:4222 --stream APP --from-seq 1000 --follow')
    .action(async (opts: ShipReadOptions) => {
      const conn = natsConnectOptions(opts, opts.server);
      const { readStream } = await import('@threadwal/ship');
      const out = new Output();
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      out.onClose(stop);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        const common = { ...conn, servers: opts.server, stream: opts.stream, fromSeq: opts.fromSeq, follow: opts.follow === true, signal: ac.signal };
        if (opts.raw) {
          for await (const l of withFlagNames(() => readStream({ ...common, raw: true }))) await out.line(TD.decode(l.line));
        } else {
          for await (const r of withFlagNames(() => readStream(common))) await out.line(JSON.stringify(r));
        }
        await out.flush();
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
