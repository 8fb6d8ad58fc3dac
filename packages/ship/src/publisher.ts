// Pipelined JetStream publishes without a promise, a timer and a request object per message:
// each publish is a plain PUB whose reply subject is `<inbox>.<key>` (the stream seq the
// message is meant for), and one
// subscription on `<inbox>.*` takes every PubAck. (js.publish() is nc.request() per message;
// measured here at 1/6 or less of this.) A fresh inbox per epoch, so a late ack of an
// earlier epoch can never settle an entry of this one. Outstanding publishes fail when the
// oldest has waited timeoutMs, or at once on a disconnect (they may have been dropped).
//
// Publishes are held and handed to the client together (at flush(), or on the next
// macrotask): nats.js writes its outbound buffer on a microtask after the first PUB, and a
// for-await over the WAL resumes on microtasks too, so publishing each record as it comes
// cost one socket write per event. Headers are encoded by us in one string per event
// (HeaderBlock) rather than through a MsgHdrs map.
import { createInbox, type MsgHdrs, type NatsConnection, type Subscription, type Msg } from '@nats-io/transport-node';
import { JetStreamApiError, type PubAck } from '@nats-io/jetstream';

export type Settle = (err: unknown, ack: PubAck | undefined) => void;

export class PublishTimeout extends Error {
  override readonly name = 'TimeoutError';
  constructor(key: number, ms: number) {
    super(`no ack for the message meant for stream seq ${key} within ${ms} ms`);
  }
}

export class Disconnected extends Error {
  override readonly name = 'ConnectionError';
  constructor() {
    super('disconnected with publishes in flight');
  }
}

export class NoResponders extends Error {
  override readonly name = 'NoResponders';
  constructor(subject: string) {
    super(`no responders: no stream is listening on ${subject} right now`);
  }
}

interface Out {
  settle: Settle;
  sentAt: number;
}

const TE = new TextEncoder();

/**
 * A NATS header block already in wire form. nats.js's publish() only calls `encode()` on the
 * headers it is given, so this stands in for MsgHdrs without a Map, five validations and a
 * string rebuild per event. Values must not contain CR or LF (ours are ids and numbers).
 */
export class HeaderBlock {
  constructor(readonly text: string) {}
  encode(): Uint8Array {
    return TE.encode(this.text);
  }
}

interface Held {
  data: Uint8Array | string;
  hdrs: MsgHdrs | HeaderBlock;
  key: number;
}

export class AsyncPublisher {
  readonly #nc: NatsConnection;
  readonly #prefix = createInbox();
  readonly #sub: Subscription;
  readonly #out = new Map<number, Out>();
  readonly #timer: NodeJS.Timeout;
  readonly #timeoutMs: number;
  readonly #subject: string;
  #closed = false;
  #held: Held[] = [];
  #scheduled = false;

  constructor(nc: NatsConnection, subject: string, timeoutMs: number) {
    this.#nc = nc;
    this.#subject = subject;
    this.#timeoutMs = timeoutMs;
    this.#sub = nc.subscribe(`${this.#prefix}.*`, { callback: (err, m) => { if (!err) this.#onReply(m); } });
    this.#timer = setInterval(() => this.#checkTimeouts(), Math.max(20, Math.min(250, timeoutMs / 4)));
    this.#timer.unref();
  }

  get outstanding(): number {
    return this.#out.size;
  }

  /** Queues a publish (`key` unique among the outstanding); it goes to the client at flush() or on the next macrotask, whichever is first. */
  publish(data: Uint8Array | string, hdrs: MsgHdrs | HeaderBlock, key: number, settle: Settle): void {
    if (this.#closed) return settle(new Disconnected(), undefined);
    this.#out.set(key, { settle, sentAt: performance.now() });
    this.#held.push({ data, hdrs, key });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hands every held publish to the client in one go (one socket write for all of them). */
  flush(): void {
    this.#scheduled = false;
    const held = this.#held;
    if (held.length === 0) return;
    this.#held = [];
    for (const h of held) {
      const o = this.#out.get(h.key);
      if (o === undefined) continue; // failed meanwhile (disconnect, timeout): never sent
      try {
        this.#nc.publish(this.#subject, h.data, { reply: `${this.#prefix}.${h.key}`, headers: h.hdrs as MsgHdrs });
      } catch (err) {
        this.#out.delete(h.key);
        o.settle(err, undefined);
      }
    }
  }

  /** Fails every outstanding publish with `err` (their outcome is unknown: the stream will say); held ones are not sent. */
  failAll(err: unknown): void {
    const all = [...this.#out.values()];
    this.#out.clear();
    this.#held = [];
    for (const o of all) o.settle(err, undefined);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#sub.unsubscribe();
    this.failAll(new Disconnected());
  }

  #onReply(m: Msg): void {
    const key = Number(m.subject.slice(this.#prefix.length + 1));
    const o = this.#out.get(key);
    if (!o) return; // already timed out or failed
    this.#out.delete(key);
    if (m.data.length === 0) {
      // A status message: 503 no responders (no stream bound yet, e.g. a restarting server).
      const code = m.headers?.code ?? 0;
      return o.settle(code === 503 ? new NoResponders(this.#subject) : new Error(`status ${code} ${m.headers?.description ?? ''}`), undefined);
    }
    let v: { error?: { code: number; err_code: number; description: string }; stream?: string; seq?: number; duplicate?: boolean };
    try {
      v = JSON.parse(m.string()) as typeof v;
    } catch (err) {
      return o.settle(err, undefined);
    }
    if (v.error) return o.settle(new JetStreamApiError(v.error), undefined);
    o.settle(undefined, { stream: v.stream ?? '', seq: v.seq ?? -1, duplicate: v.duplicate === true } as PubAck);
  }

  #checkTimeouts(): void {
    const first = this.#out.entries().next();
    if (first.done) return;
    const [key, o] = first.value;
    if (performance.now() - o.sentAt < this.#timeoutMs) return;
    this.failAll(new PublishTimeout(key, this.#timeoutMs));
  }
}
