// The stream side: finding (or creating) the stream, checking that it binds our subject,
// and reconciling: reading the stream's last message to learn the next WAL seq to publish.
// The stream is the truth; the local checkpoint only reports how far it is from it.
import { JetStreamApiError, StorageType, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { ShipError } from './errors.js';
import type { CheckpointState } from './checkpoint.js';

export const HDR_SEQ = 'Threadwal-Seq';
export const HDR_ID = 'Threadwal-Id';

export interface StreamSpec {
  stream: string;
  subject: string;
  /** Create the stream (file storage, this many replicas) when it does not exist. */
  createStream: boolean;
  replicas: number;
  duplicateWindowMs: number;
}

/** Where shipping resumes. `base` is undefined for an empty stream (the first event shipped sets it). */
export interface Position {
  base: number | undefined;
  /** The next WAL seq to publish; for an empty stream, the seq to read the WAL from. */
  next: number;
  /** The stream's last sequence. */
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

/**
 * Reads the stream's state and last message and says where to resume. Throws ShipError for
 * what a retry cannot fix; anything else (timeouts, disconnects) is the caller's to retry.
 */
export async function reconcile(jsm: JetStreamManager, spec: StreamSpec, walId: string, ckpt: CheckpointState | undefined): Promise<Position> {
  const shipped = ckpt !== undefined && ckpt.ackedSeq >= 0 && ckpt.stream === spec.stream;
  const info = await infoOrCreate(jsm, spec, walId, !shipped);
  const subjects = info.config.subjects ?? [];
  if (!subjects.some((p) => subjectMatches(p, spec.subject))) {
    throw new ShipError('subject-unbound', `subject ${spec.subject} is not bound by stream ${spec.stream} (it binds ${subjects.join(', ') || 'nothing'})`);
  }
  const maxMsgSize = info.config.max_msg_size ?? -1;
  const last = info.state.last_seq;
  if (last === 0) {
    return { base: undefined, next: 0, lastStreamSeq: 0, maxMsgSize, serverLost: shipped };
  }
  const msg = await jsm.streams.getMessage(spec.stream, { seq: last });
  let base: number;
  if (msg) {
    const id = msg.header?.get(HDR_ID);
    const seqText = msg.header?.get(HDR_SEQ) ?? '';
    const seq = /^\d+$/.test(seqText) ? Number(seqText) : NaN;
    if (id !== walId || !Number.isSafeInteger(seq) || msg.subject !== spec.subject) {
      throw new ShipError('foreign-writer', `stream ${spec.stream} seq ${last} is not an event of this WAL (${id ? `Threadwal-Id ${id}, subject ${msg.subject}` : `no Threadwal-Id, subject ${msg.subject}`}); a stream must hold one WAL's subject only`);
    }
    base = seq - (last - 1);
    if (base < 0) throw new ShipError('foreign-writer', `stream ${spec.stream} seq ${last} holds WAL seq ${seq}, which cannot be`, { seq });
  } else if (ckpt && ckpt.walId === walId && ckpt.stream === spec.stream) {
    base = ckpt.base; // the last message expired (max_age); the checkpoint remembers the mapping
  } else {
    throw new ShipError('rejected', `stream ${spec.stream}: its last message (seq ${last}) is gone and no checkpoint says which WAL seq it held`);
  }
  const next = base + last;
  if (ckpt && ckpt.walId !== walId && ckpt.stream === spec.stream) {
    throw new ShipError('wal-mismatch', `the checkpoint belongs to WAL ${ckpt.walId}, this WAL is ${walId}`);
  }
  return { base, next, lastStreamSeq: last, maxMsgSize, serverLost: ckpt !== undefined && ckpt.stream === spec.stream && ckpt.ackedSeq >= next };
}

export type Verdict = 'reconcile' | 'transient' | ShipError;

/** What a failed publish means. `seq` names the event for a fatal verdict. */
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
