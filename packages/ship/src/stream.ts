// The stream side: finding (or creating) the stream, checking that it binds our subject,
// and reconciling: reading the stream's last message to learn the next WAL seq to publish.
// The stream is the truth; the local checkpoint only reports how far it is from it.
import { JetStreamApiError, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos, type MsgHdrs } from '@nats-io/transport-node';
import { ShipError } from './errors.js';
import { HDR_ID, HDR_LAST_SEQ, HDR_SEQ } from './message.js';
import type { CheckpointState } from './checkpoint.js';

export { HDR_ID, HDR_LAST_SEQ, HDR_SEQ };

export interface StreamSpec {
  stream: string;
  subject: string;
  /** Create the stream (file storage, this many replicas) when it does not exist. */
  createStream: boolean;
  replicas: number;
  duplicateWindowMs: number;
}

/** Where shipping resumes. */
export interface Position {
  /** WAL seq at stream seq 1, when known (an empty stream: the first message shipped sets it). */
  base: number | undefined;
  /** The stream holds nothing of ours: ship from wherever the WAL starts (at or after `next`). */
  empty: boolean;
  /** The next WAL seq to publish. */
  next: number;
  /** The stream's last sequence: the next message is published expecting it (the fence). */
  lastStreamSeq: number;
  /** The stream's max_msg_size (-1: none). */
  maxMsgSize: number;
  /** True when the stream is behind the checkpoint: the server lost acknowledged events. */
  serverLost: boolean;
}

/** NATS subject matching: `*` one token, `>` the rest. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

function apiCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

async function infoOrCreate(jsm: JetStreamManager, spec: StreamSpec, walId: string, mayCreate: boolean): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(spec.stream);
  } catch (err) {
    if (apiCode(err) !== 10059) throw err;
    if (!spec.createStream) throw new ShipError('stream-missing', `stream ${spec.stream} not found (create it, or pass createStream / --create-stream)`, { cause: err });
    if (!mayCreate) throw new ShipError('stream-missing', `stream ${spec.stream} is gone but the checkpoint says it held this WAL's events; remove the checkpoint to ship again from the WAL`, { cause: err });
    try {
      return await jsm.streams.add({
        name: spec.stream,
        subjects: [spec.subject],
        storage: StorageType.File,
        num_replicas: spec.replicas,
        duplicate_window: nanos(spec.duplicateWindowMs),
        description: `threadwal wal ${walId}`,
        deny_delete: true,
        deny_purge: true,
        allow_direct: true,
      });
    } catch (addErr) {
      // Another shipper (or a retry of ours) created it meanwhile.
      if (apiCode(addErr) === 10058) return await jsm.streams.info(spec.stream);
      throw addErr;
    }
  }
}

/** The WAL seqs a message of ours holds, from its headers; undefined when it is not one of this WAL's. */
export function walSeqsOf(msg: { header?: MsgHdrs | undefined }, walId: string): { first: number; last: number } | undefined {
  const h = msg.header;
  if (h === undefined || h.get(HDR_ID) !== walId) return undefined;
  const num = (t: string | undefined): number => (t !== undefined && /^\d{1,16}$/.test(t) ? Number(t) : NaN);
  const first = num(h.get(HDR_SEQ));
  const lastText = h.get(HDR_LAST_SEQ);
  const last = lastText === '' ? first : num(lastText);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) return undefined;
  return { first, last };
}

/**
 * Reads the stream's state and last message and says where to resume: after the last WAL
 * seq the last message holds (Threadwal-Last-Seq, or Threadwal-Seq for one event). Throws
 * ShipError for what a retry cannot fix; anything else (timeouts, disconnects) is the
 * caller's to retry.
 */
export async function reconcile(jsm: JetStreamManager, spec: StreamSpec, walId: string, ckpt: CheckpointState | undefined): Promise<Position> {
  const ours = ckpt !== undefined && ckpt.stream === spec.stream;
  const shipped = ours && ckpt.ackedSeq >= 0;
  const info = await infoOrCreate(jsm, spec, walId, !shipped);
  const subjects = info.config.subjects ?? [];
  if (!subjects.some((p) => subjectMatches(p, spec.subject))) {
    throw new ShipError('subject-unbound', `subject ${spec.subject} is not bound by stream ${spec.stream} (it binds ${subjects.join(', ') || 'nothing'})`);
  }
  if (ours && ckpt.walId !== walId) throw new ShipError('wal-mismatch', `the checkpoint belongs to WAL ${ckpt.walId}, this WAL is ${walId}`);
  const maxMsgSize = info.config.max_msg_size ?? -1;
  const last = info.state.last_seq;
  if (last === 0) {
    return { base: undefined, empty: true, next: 0, lastStreamSeq: 0, maxMsgSize, serverLost: shipped };
  }
  const msg = await jsm.streams.getMessage(spec.stream, { seq: last });
  let next: number;
  if (msg) {
    const seqs = walSeqsOf(msg, walId);
    if (seqs === undefined || msg.subject !== spec.subject) {
      const id = msg.header?.get(HDR_ID);
      throw new ShipError('foreign-writer', `stream ${spec.stream} seq ${last} is not an event of this WAL (${id ? `Threadwal-Id ${id}, subject ${msg.subject}` : `no Threadwal-Id, subject ${msg.subject}`}); a stream must hold one WAL's subject only`);
    }
    next = seqs.last + 1;
  } else if (ours && ckpt.streamSeq === last) {
    next = ckpt.ackedSeq + 1; // the last message expired (max_age); the checkpoint remembers what it held
  } else if (ours && ckpt.streamSeq === undefined && ckpt.base >= 0) {
    next = ckpt.base + last; // a checkpoint from before batches: one event per message
  } else {
    throw new ShipError('rejected', `stream ${spec.stream}: its last message (seq ${last}) is gone and no checkpoint says which WAL seqs it held`);
  }
  let base = ours && ckpt.base >= 0 ? ckpt.base : undefined;
  if (base === undefined && info.state.first_seq === 1) {
    const one = last === 1 ? msg : await jsm.streams.getMessage(spec.stream, { seq: 1 });
    base = one ? walSeqsOf(one, walId)?.first : undefined;
  }
  return { base, empty: false, next, lastStreamSeq: last, maxMsgSize, serverLost: shipped && ckpt.ackedSeq >= next };
}

export type Verdict = 'reconcile' | 'transient' | ShipError;

/** What a failed publish means. `seq` names the (first) event of the message for a fatal verdict. */
export function classifyPublishError(err: unknown, seq: number, spec: StreamSpec): Verdict {
  if (err instanceof ShipError) return err;
  const code = apiCode(err);
  if (code === 10071 || code === 10063 || code === 10164) return 'reconcile'; // wrong last sequence (someone's already there), stale cluster seq
  if (code === 10054) return new ShipError('too-large', `WAL seq ${seq}: the event is larger than stream ${spec.stream} accepts`, { seq, cause: err });
  if (code === 10059) return new ShipError('stream-missing', `WAL seq ${seq}: stream ${spec.stream} not found`, { seq, cause: err });
  if (code === 10060) return new ShipError('subject-unbound', `WAL seq ${seq}: subject ${spec.subject} is stored by another stream than ${spec.stream}`, { seq, cause: err });
  if (err instanceof JetStreamApiError) {
    // 4xx: the server will say the same again; 5xx (insufficient resources, no leader): wait.
    if (err.status >= 400 && err.status < 500) return new ShipError('rejected', `WAL seq ${seq}: stream ${spec.stream} rejected the event: ${err.message} (${code})`, { seq, cause: err });
    return 'transient';
  }
  const name = (err as Error | undefined)?.name ?? '';
  if (name === 'MaxPayloadExceeded' || /max_payload|maximum payload/i.test((err as Error | undefined)?.message ?? '')) {
    return new ShipError('too-large', `WAL seq ${seq}: the event is larger than the server's max_payload`, { seq, cause: err });
  }
  if (name === 'PermissionViolationError') return new ShipError('auth', `WAL seq ${seq}: not permitted to publish to ${spec.subject}: ${(err as Error).message}`, { seq, cause: err });
  return 'transient'; // timeouts, no responders while a server restarts, disconnects
}
