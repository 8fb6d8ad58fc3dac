// Reading a WAL back from its stream: the WAL's records in seq order, exactly once, whether a
// message holds one event (the line) or a batch (lines each ending in `\n`), from a given WAL
// seq, optionally following. An ordered consumer (ephemeral, flow controlled, recreated by
// the client from the last stream seq it saw on a gap) delivers the messages in stream order.
//
// Checks on every message: the WAL id is the same throughout (else 'foreign-writer'), its
// lines are exactly the seqs its headers say (else 'foreign-writer'), and each message starts
// right after the one before. A message starting earlier overlaps: the seqs met again are
// skipped and counted (`duplicates`; the shipper never makes one, the counter is for
// checking that). One starting later is a hole: ShipError 'gap'.
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { safeServers } from './redact.js';
import { connectChecked } from './connect-errors.js';
import { natsConnectOptions, type NatsAuth, type NatsTls } from './connect-options.js';
import { jetstream, jetstreamManager, DeliverPolicy, JetStreamApiError, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { WalError, checkLineChecksum, parseLine, peekSeq, type WalRecord } from '@threadwal/core';
import { ShipError } from './errors.js';
import { walSeqsOf } from './stream.js';
import { HDR_ID } from './message.js';
import { sleep } from './sleep.js';

export interface ReadStreamOptions {
  /** NATS server URL(s); or pass `nc`. */
  servers?: string | string[] | undefined;
  /** An open connection to use (left open); else one is made from `servers` and closed at the end. */
  nc?: NatsConnection | undefined;
  /** Credentials (with `servers`): one of credsFile, nkeyFile, user + password, token, as ShipOptions.auth. */
  auth?: NatsAuth | undefined;
  /** TLS (with `servers`), as ShipOptions.tls. */
  tls?: NatsTls | true | undefined;
  /** Extra NATS connection options (with `servers`). */
  connectOptions?: Partial<NodeConnectionOptions> | undefined;
  stream: string;
  /** First WAL seq to yield. Default: from the stream's first message. */
  fromSeq?: number | undefined;
  /** Keep yielding as messages arrive, until `signal` aborts. Default false: end at the stream's last message as the read begins. */
  follow?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Yield `{ seq, line, streamSeq }` (the stored line's bytes, unparsed) instead of records. Default false. */
  raw?: boolean | undefined;
  /** Timeout of the stream API calls, ms. Default 5000. */
  timeoutMs?: number | undefined;
}

/** One stored line read back (readStream with `raw: true`). */
export interface StreamLine {
  /** Its WAL seq. */
  seq: number;
  /** The line as the WAL stored it, without `\n`. */
  line: Uint8Array;
  /** The stream seq of the message that carried it. */
  streamSeq: number;
}

export interface StreamReader<I> extends AsyncIterableIterator<I> {
  /** WAL seqs met again in a message overlapping the one before (skipped). */
  readonly duplicates: number;
  /** Messages read. */
  readonly messages: number;
  /** The WAL id the stream's messages carry (undefined before the first). */
  readonly walId: string | undefined;
}

const NL = 0x0a;
const TD = new TextDecoder('utf-8', { fatal: true });

/** Reads the WAL stored in `stream` back, in seq order, each seq once (see the file comment). */
export function readStream(options: ReadStreamOptions & { raw: true }): StreamReader<StreamLine>;
export function readStream<T extends string = string>(options: ReadStreamOptions & { raw?: false | undefined }): StreamReader<WalRecord<T>>;
export function readStream(options: ReadStreamOptions): StreamReader<StreamLine> | StreamReader<WalRecord> {
  if (typeof options !== 'object' || options === null) throw new ShipError('invalid', 'options must be an object');
  if (typeof options.stream !== 'string' || options.stream === '') throw new ShipError('invalid', 'options.stream must be a stream name');
  if (options.nc === undefined && options.servers === undefined) throw new ShipError('invalid', 'options.servers (or options.nc) is required');
  const fromSeq = options.fromSeq ?? 0;
  if (!Number.isSafeInteger(fromSeq) || fromSeq < 0) throw new ShipError('invalid', `options.fromSeq must be an integer >= 0, got ${String(fromSeq)}`);
  const connectOptions = natsConnectOptions(options.auth, options.tls, options.connectOptions);
  options = { ...options, connectOptions, auth: undefined, tls: undefined };
  const st = { duplicates: 0, messages: 0, walId: undefined as string | undefined };
  const gen = options.raw === true ? lines(options, fromSeq, st) : records(lines(options, fromSeq, st));
  Object.defineProperties(gen, {
    duplicates: { get: () => st.duplicates },
    messages: { get: () => st.messages },
    walId: { get: () => st.walId },
  });
  return gen as unknown as StreamReader<WalRecord>;
}

async function* records(src: AsyncGenerator<StreamLine>): AsyncGenerator<WalRecord> {
  for await (const l of src) {
    let rec: WalRecord;
    try {
      rec = parseLine(TD.decode(l.line));
    } catch (err) {
      throw new WalError('ECORRUPT', `stream seq ${l.streamSeq}: WAL seq ${l.seq} does not parse as a record`, { cause: err });
    }
    if (rec.crc32c !== undefined) {
      const sum = checkLineChecksum(l.line, 0, l.line.length);
      if (sum === 'bad') throw new WalError('ECORRUPT', `stream seq ${l.streamSeq}: WAL seq ${l.seq} fails its checksum`);
      if (sum === 'ok') delete rec.crc32c;
    }
    yield rec;
  }
}

/** The stream seq of the message holding WAL seq `seq` (or the first one after it): a binary search over the messages' headers. */
export async function streamSeqOf(jsm: JetStreamManager, stream: string, seq: number, firstSeq: number, lastSeq: number): Promise<number> {
  let lo = firstSeq;
  let hi = lastSeq;
  let found = firstSeq;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const m = await jsm.streams.getMessage(stream, { seq: mid });
    const id = m?.header?.get(HDR_ID);
    const seqs = m && id ? walSeqsOf(m, id) : undefined;
    if (seqs === undefined) return firstSeq; // a gap or a foreign message: read from the start and let the checks speak
    if (seqs.first <= seq) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

/** The stream's info; following, waits for the stream to exist (as readWal's follow waits for the WAL). */
async function streamInfo(jsm: JetStreamManager, o: ReadStreamOptions): Promise<StreamInfo | undefined> {
  for (;;) {
    try {
      return await jsm.streams.info(o.stream);
    } catch (err) {
      const missing = err instanceof JetStreamApiError && err.code === 10059;
      if (missing && !o.follow) throw new ShipError('stream-missing', `stream ${o.stream} not found`, { cause: err });
      if (!missing) throw err;
      await sleep(250, o.signal);
      if (o.signal?.aborted) return undefined;
    }
  }
}

/**
 * Messages one pull asks for: as many of the largest message the server takes (max_payload,
 * from its INFO) as fit in 16 MiB, 1 to 100. nats.js's default, 100 a pull, put ~100 MiB on
 * the connection with 1 MiB batches, past nats-server's max_pending (64 MB by default), and
 * the server cut the reader as a slow consumer. (Pulls by bytes stall instead: nats.js tops a
 * pull up with the bytes left over, and a message larger than that ends the pull until the
 * next missed heartbeat, ~30 s.)
 */
function pullMessages(nc: NatsConnection): number {
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  return Math.max(1, Math.min(100, Math.floor((16 * 1024 * 1024) / maxPayload)));
}

async function* lines(o: ReadStreamOptions, fromSeq: number, st: { duplicates: number; messages: number; walId: string | undefined }): AsyncGenerator<StreamLine> {
  const own = o.nc === undefined;
  const servers = o.servers === undefined ? [] : typeof o.servers === 'string' ? [o.servers] : o.servers;
  let nc: NatsConnection;
  try {
    nc = o.nc ?? await connectChecked({ timeout: o.timeoutMs ?? 5000, ...o.connectOptions, servers }, true, Math.min(o.timeoutMs ?? 5000, 2000));
  } catch (err) {
    const e = err as Error;
    if (err instanceof ShipError) throw err;
    throw new ShipError('unreachable', `cannot reach a NATS server at ${safeServers(servers)} (${e.message})`, { cause: err });
  }
  try {
    const jsm = await jetstreamManager(nc, { timeout: o.timeoutMs ?? 5000, checkAPI: false });
    const info = await streamInfo(jsm, o);
    if (info === undefined) return; // aborted while waiting for the stream
    const { first_seq: first, last_seq: last, messages } = info.state;
    if (!o.follow && messages === 0) return;
    const start = messages === 0 ? Math.max(1, last + 1) : fromSeq > 0 ? await streamSeqOf(jsm, o.stream, fromSeq, first, last) : first;
    if (!o.follow && start > last) return;
    const consumer = await jetstream(nc).consumers.get(o.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start });
    const msgs = await consumer.consume({ max_messages: pullMessages(nc) });
    const onAbort = (): void => { void msgs.close(); };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let next: number | undefined;
    try {
      if (o.signal?.aborted) return;
      for await (const m of msgs) {
        st.messages += 1;
        const id = m.headers?.get(HDR_ID);
        if (!id || (st.walId !== undefined && id !== st.walId)) throw new ShipError('foreign-writer', `stream ${o.stream} seq ${m.seq} is not an event of WAL ${st.walId ?? '(none)'} (Threadwal-Id ${id || 'missing'})`);
        st.walId = id;
        const seqs = walSeqsOf({ header: m.headers }, id);
        if (seqs === undefined) throw new ShipError('foreign-writer', `stream ${o.stream} seq ${m.seq}: no valid Threadwal-Seq header`);
        if (next !== undefined && seqs.first > next) throw new ShipError('gap', `stream ${o.stream} seq ${m.seq} holds WAL seqs ${seqs.first}…${seqs.last}, but the message before it ended at ${next - 1}: seqs ${next}…${seqs.first - 1} are missing`, { seq: next });
        const data = m.data;
        let s = 0;
        for (let seq = seqs.first; seq <= seqs.last; seq++) {
          if (s >= data.length) throw new ShipError('foreign-writer', `stream ${o.stream} seq ${m.seq} says it holds WAL seqs ${seqs.first}…${seqs.last} but has fewer lines`);
          let e = data.indexOf(NL, s);
          if (e < 0) e = data.length;
          if (peekSeq(data, s, e) !== seq) throw new ShipError('foreign-writer', `stream ${o.stream} seq ${m.seq}: line ${seq - seqs.first + 1} is not WAL seq ${seq}`, { seq });
          const line = data.subarray(s, e);
          s = e + 1;
          if (next !== undefined && seq < next) { st.duplicates += 1; continue; }
          if (seq < fromSeq) continue;
          yield { seq, line, streamSeq: m.seq };
        }
        if (s < data.length) throw new ShipError('foreign-writer', `stream ${o.stream} seq ${m.seq} has more lines than WAL seqs ${seqs.first}…${seqs.last}`);
        next = Math.max(next ?? 0, seqs.last + 1);
        // Not following: up to the stream's last message when the read began. (Not the
        // consumer's `pending`: an R3 stream's consumer can report 0 a message early.)
        if (!o.follow && m.seq >= last) break;
      }
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      await msgs.close().catch(() => undefined);
    }
  } finally {
    if (own) await nc.close().catch(() => undefined);
  }
}
