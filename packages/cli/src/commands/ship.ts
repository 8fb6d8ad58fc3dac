// `threadwal ship <wal> --server nats://host:port --stream NAME --subject SUBJ`: ships the
// WAL to NATS JetStream, exactly once per seq (see @threadwal/ship), following new events
// until Ctrl-C / SIGTERM (which drain the publishes in flight and commit the checkpoint,
// exit 0). --once ships what is there and exits. A live line on a TTY; --json prints the
// final status. Failures are one line: unreachable server, auth, missing stream, …
import { Option, type Command } from 'commander';
import type { ShipStatus } from '@threadwal/ship';
import { countArg, positiveCountArg, sizeArg, durationArg } from '../options.js';
import { requireWal } from '../wal-path.js';
import { formatSize } from '../units.js';
import { fmtInt } from '../report.js';
import { addNatsConnectOptions, natsConnectOptions, withFlagNames, type NatsConnectFlags } from '../nats-connect.js';

interface ShipCliOptions extends NatsConnectFlags {
  server: string[];
  stream: string;
  subject: string;
  name: string;
  createStream?: boolean;
  replicas: number;
  once?: boolean;
  json?: boolean;
  window: number;
  connectTimeout: number;
  batchEvents?: number;
  batchBytes?: number;
  serverSyncInterval: number;
}

function collectServers(value: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** The progress line: rate, acked seq, lag. */
export function progressLine(s: ShipStatus, rate: number): string {
  const state = s.state === 'shipping' ? '' : ` · ${s.state}${s.connected ? '' : ' (disconnected)'}`;
  return `ship → ${s.stream}: ${fmtInt(s.shipped)} events, ${fmtInt(Math.round(rate))}/s · acked seq ${fmtInt(s.ackedSeq)} · lag ${fmtInt(s.lagEvents)} events (${formatSize(s.lagBytes)})${state}`;
}

export function registerShip(program: Command): void {
  const cmd = program
    .command('ship')
    .description('ship a WAL to a NATS JetStream stream, exactly once per seq, following new events (until Ctrl-C) or --once')
    .argument('<wal>', 'the WAL file')
    .requiredOption('--server <url>', 'NATS server URL (repeat or comma-separate for a cluster)', collectServers)
    .requiredOption('--stream <name>', 'the JetStream stream (one per WAL)')
    .requiredOption('--subject <subj>', 'the subject to publish to (bound by the stream)')
    .option('--name <name>', 'names the checkpoint ({wal}.ship/<name>.json)', 'ship')
    .option('--create-stream', 'create the stream (file storage, this subject) if it is missing')
    .addOption(new Option('--replicas <n>', 'replicas of a stream made by --create-stream').argParser(countArg).default(1))
    .option('--once', 'ship what the WAL holds now, then exit')
    .option('--json', 'print the final status as JSON')
    .addOption(new Option('--window <n>', 'with --batch-events 1: publishes awaiting their ack at most').argParser(countArg).default(1024))
    .addOption(new Option('--connect-timeout <ms>', 'give up the first connect after this long').argParser(countArg).default(10_000))
    .addOption(new Option('--batch-events <n>', 'stored lines per message at most (default 16384); 1: one event per message, the line without \\n').argParser(positiveCountArg))
    .addOption(new Option('--batch-bytes <size>', "bytes per message at most (default 1MiB; never above the server's max_payload)").argParser(sizeArg))
    .addOption(new Option('--server-sync-interval <duration>', 'how long after its ack the server may still lose an event (nats-server 2.9: 2m; 0 for sync_interval: always): the cursor retention waits for passes an event only then').argParser(durationArg).default(120, '2m'));
  addNatsConnectOptions(cmd)
    .addHelpText('after', '\nExamples:\n  threadwal ship app.wal --server nats://127.0.0.1:4222 --stream APP --subject app.events --create-stream\n  threadwal ship app.wal --server nats://a:4222,nats://b:4222 --stream APP --subject app.events --once --json\n  threadwal ship app.wal --server nats://127.0.0.1:4222 --stream APP --subject app.events --batch-events 1\n  THREADWAL_NATS_PASSWORD=… threadwal ship app.wal --server nats://nats.internal:4222 --tlsca ca.pem --user shipper --stream APP --subject app.events\n  threadwal ship app.wal --server nats://nats.internal:4222 --creds shipper.creds --tlsca ca.pem --tlscert client.pem --tlskey client.key --stream APP --subject app.events\n\nRead it back: threadwal ship-read --server nats://127.0.0.1:4222 --stream APP | jq .')
    .action(async (input: string, opts: ShipCliOptions) => {
      const path = requireWal(input);
      const conn = natsConnectOptions(opts, opts.server);
      const { ship } = await import('@threadwal/ship');
      const tty = process.stderr.isTTY === true && !opts.json;
      let last = { t: performance.now(), shipped: 0, rate: 0 };
      const shipper = withFlagNames(() => ship(path, {
        ...conn,
        servers: opts.server,
        stream: opts.stream,
        subject: opts.subject,
        name: opts.name,
        createStream: opts.createStream === true,
        replicas: opts.replicas,
        once: opts.once === true,
        window: Math.max(1, opts.window),
        connectTimeoutMs: opts.connectTimeout,
        batch: { maxEvents: opts.batchEvents, maxBytes: opts.batchBytes },
        serverSyncIntervalMs: Math.round(opts.serverSyncInterval * 1000),
        onWarning: (m) => { process.stderr.write(`${tty ? '\r\x1b[K' : ''}threadwal: warning: ${m}\n`); },
        onStatus: tty ? (s) => {
          const now = performance.now();
          if (now - last.t >= 1000) last = { t: now, shipped: s.shipped, rate: ((s.shipped - last.shipped) * 1000) / (now - last.t) };
          process.stderr.write(`\r\x1b[K${progressLine(s, last.rate)}`);
        } : undefined,
      }));
      const onSignal = (): void => { void shipper.stop(); };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const s = await shipper.done;
        if (tty) process.stderr.write('\r\x1b[K');
        if (opts.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        else process.stdout.write(`shipped ${fmtInt(s.shipped)} events to ${s.stream} (${s.subject}); acked through seq ${fmtInt(s.ackedSeq)}, lag ${fmtInt(s.lagEvents)}\n`);
      } catch (err) {
        if (tty) process.stderr.write('\r\x1b[K');
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
