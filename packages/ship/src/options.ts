// ship()'s options, checked up front (EINVAL naming the option, as everywhere in threadwal).
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { ShipError } from './errors.js';
import { natsConnectOptions, type NatsAuth, type NatsTls } from './connect-options.js';
import type { BackoffOptions } from './backoff.js';
import type { Checkpoint } from './checkpoint.js';
import type { ShipStatus } from './status.js';

export interface ShipOptions {
  /** NATS server URL(s), e.g. 'nats://127.0.0.1:4222'. */
  servers: string | string[];
  /** The JetStream stream; it must hold this WAL's subject only (see docs/DESIGN.md). */
  stream: string;
  /** The subject every event is published to. */
  subject: string;
  /** Names the checkpoint (`{wal}.ship/<name>.json`) and the connection. Default 'ship'. */
  name?: string | undefined;
  /**
   * How many stored lines one message carries: `maxEvents` lines and `maxBytes` bytes at most
   * (never above the server's max_payload, nor the stream's max_msg_size). Default
   * { maxEvents: 16384, maxBytes: 1 MiB }. `{ maxEvents: 1 }` (or `false`) publishes one event per
   * message, as the line without `\n` (for consumers that route events by subject).
   */
  batch?: BatchOptions | false | undefined;
  /** One event per message (batch.maxEvents 1): most publishes awaiting their ack. Default 1024. */
  window?: number | undefined;
  /**
   * How long after its ack the server may still lose an event (nats-server 2.9 fsyncs stream
   * files every 2 minutes; a power cut loses what it had not): the committed cursor, and so
   * retention's untilCommitted, passes an event only this long after its ack. 0 for a server
   * that syncs every write (2.10+ `sync_interval: always`). Default 120000.
   */
  serverSyncIntervalMs?: number | undefined;
  /** Create the stream when it is missing (file storage, subjects [subject]). Default false. */
  createStream?: boolean | undefined;
  /** Replicas of a stream created by createStream. Default 1. */
  replicas?: number | undefined;
  /** duplicate_window of a stream created by createStream, ms. Default 120000. */
  duplicateWindowMs?: number | undefined;
  /** Ship what the WAL holds now, then resolve `done` (no following). Default false. */
  once?: boolean | undefined;
  /** How long a publish (or stream API call) waits for the server, ms. Default 5000. */
  timeoutMs?: number | undefined;
  /** How long the first connect keeps trying before failing 'unreachable', ms. Default 10000. */
  connectTimeoutMs?: number | undefined;
  /** Retry delays after a failure (and between reconnect attempts). */
  backoff?: BackoffOptions | undefined;
  /** How often the checkpoint is written (if it moved) and onStatus called, ms. Default 200. */
  checkpointEveryMs?: number | undefined;
  /** How often the WAL is polled for new events, ms. Default 20. */
  pollMs?: number | undefined;
  /** How often the client pings the server (to notice a dead one), ms. Default 2000. */
  pingIntervalMs?: number | undefined;
  /**
   * The maintenance consumer cursor (`{wal}.cursors/`) committed with every checkpoint, so
   * retention keeps what is not shipped yet. Default: `name`; false: none.
   */
  cursor?: string | false | undefined;
  /** Where the last acked seq is kept. Default: FileCheckpoint(walPath, name). */
  checkpoint?: Checkpoint | undefined;
  /** Credentials: one of credsFile, nkeyFile, user + password, token (see docs/SHIPPING.md#connecting-to-a-real-cluster). */
  auth?: NatsAuth | undefined;
  /** TLS: true (the system's CAs), or { caFile, certFile, keyFile }. */
  tls?: NatsTls | true | undefined;
  /** Extra NATS connection options, passed to the client as they are (auth and tls above are the checked way). */
  connectOptions?: Partial<NodeConnectionOptions> | undefined;
  /** Stops the shipper (as stop()) when aborted. */
  signal?: AbortSignal | undefined;
  onStatus?: ((status: ShipStatus) => void) | undefined;
  /** Called for each WAL seq acknowledged, in order. */
  onAcked?: ((seq: number) => void) | undefined;
  /** Things an operator should know that do not stop shipping (a lost checkpoint write, a server that lost events). */
  onWarning?: ((message: string) => void) | undefined;
}

/** ShipOptions.batch. */
export interface BatchOptions {
  /** Lines per message at most. Default 16384. */
  maxEvents?: number | undefined;
  /** Body bytes per message at most (clamped to what the server and the stream accept). Default 1 MiB. */
  maxBytes?: number | undefined;
}

export const DEFAULT_BATCH_EVENTS = 16_384;
export const DEFAULT_BATCH_BYTES = 1024 * 1024;

export interface ResolvedShipOptions extends Required<Pick<ShipOptions, 'stream' | 'subject' | 'name' | 'window' | 'createStream' | 'replicas' | 'duplicateWindowMs' | 'once' | 'timeoutMs' | 'connectTimeoutMs' | 'checkpointEveryMs' | 'pollMs' | 'pingIntervalMs' | 'serverSyncIntervalMs'>> {
  servers: string[];
  /** Lines per message; 1: one event per message (the line without `\n`, pipelined up to `window`). */
  batchEvents: number;
  batchBytes: number;
  backoff: BackoffOptions;
  checkpoint: Checkpoint | undefined;
  cursor: string | false;
  connectOptions: Partial<NodeConnectionOptions>;
  signal: AbortSignal | undefined;
  onStatus: ShipOptions['onStatus'];
  onAcked: ShipOptions['onAcked'];
  onWarning: ShipOptions['onWarning'];
}

function bad(message: string): ShipError {
  return new ShipError('invalid', message);
}

function posInt(v: unknown, name: string, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(Number.isSafeInteger(v) || v === Infinity) || v < min) throw bad(`options.${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
}

const NAME = /^[A-Za-z0-9_-]+$/;
const SUBJECT = /^[^\s*>.]+(\.[^\s*>.]+)*$/;

export function resolveShipOptions(o: ShipOptions): ResolvedShipOptions {
  if (typeof o !== 'object' || o === null) throw bad('options must be an object');
  const servers = typeof o.servers === 'string' ? [o.servers] : o.servers;
  if (!Array.isArray(servers) || servers.length === 0 || servers.some((s) => typeof s !== 'string' || s === '')) throw bad('options.servers must be a URL or a non-empty array of URLs');
  if (typeof o.stream !== 'string' || !NAME.test(o.stream)) throw bad(`options.stream must be a stream name (letters, digits, - and _), got ${String(o.stream)}`);
  if (typeof o.subject !== 'string' || !SUBJECT.test(o.subject)) throw bad(`options.subject must be a literal subject (no wildcards), got ${String(o.subject)}`);
  const name = o.name ?? 'ship';
  if (typeof name !== 'string' || !NAME.test(name)) throw bad(`options.name must be letters, digits, - and _, got ${String(name)}`);
  if (o.cursor !== undefined && o.cursor !== false && (typeof o.cursor !== 'string' || !/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(o.cursor))) throw bad(`options.cursor must be a cursor name or false, got ${String(o.cursor)}`);
  for (const k of ['createStream', 'once'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') throw bad(`options.${k} must be a boolean`);
  const replicas = posInt(o.replicas, 'replicas', 1);
  if (o.batch !== undefined && o.batch !== false && (typeof o.batch !== 'object' || o.batch === null)) throw bad('options.batch must be { maxEvents, maxBytes } or false');
  const batch = o.batch === false ? { maxEvents: 1 } : o.batch ?? {};
  if (replicas > 5) throw bad('options.replicas must be at most 5');
  return {
    servers, stream: o.stream, subject: o.subject, name,
    window: posInt(o.window, 'window', 1024),
    batchEvents: posInt(batch.maxEvents, 'batch.maxEvents', DEFAULT_BATCH_EVENTS),
    batchBytes: posInt(batch.maxBytes, 'batch.maxBytes', DEFAULT_BATCH_BYTES, 256),
    serverSyncIntervalMs: posInt(o.serverSyncIntervalMs, 'serverSyncIntervalMs', 120_000, 0),
    createStream: o.createStream ?? false,
    replicas,
    duplicateWindowMs: posInt(o.duplicateWindowMs, 'duplicateWindowMs', 120_000, 100),
    once: o.once ?? false,
    timeoutMs: posInt(o.timeoutMs, 'timeoutMs', 5000),
    connectTimeoutMs: posInt(o.connectTimeoutMs, 'connectTimeoutMs', 10_000, 0),
    checkpointEveryMs: posInt(o.checkpointEveryMs, 'checkpointEveryMs', 200),
    pollMs: posInt(o.pollMs, 'pollMs', 20),
    pingIntervalMs: posInt(o.pingIntervalMs, 'pingIntervalMs', 2000),
    backoff: o.backoff ?? {},
    checkpoint: o.checkpoint,
    cursor: o.cursor === undefined ? name : o.cursor,
    connectOptions: natsConnectOptions(o.auth, o.tls, o.connectOptions),
    signal: o.signal,
    onStatus: o.onStatus, onAcked: o.onAcked, onWarning: o.onWarning,
  };
}
