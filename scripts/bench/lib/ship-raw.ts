// bench:ship's ceilings: the same bytes the shipper sent, published raw with the same client
// (PUB with a reply subject on one inbox subscription, `window` acks outstanding), into a
// fresh stream of the same replication; and the server-side CPU per event from /proc.
import { readFileSync } from 'node:fs';
import { connect, createInbox, headers, type MsgHdrs } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, DeliverPolicy, StorageType } from '@nats-io/jetstream';
import { now } from './measure.js';

/** CPU time (µs) of a process so far, from /proc (clock ticks of 10 ms). */
export function procCpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * (1e6 / 100);
  } catch {
    return 0;
  }
}

let serverPids: Array<number | undefined> = [];
export function setServerPids(pids: Array<number | undefined>): void {
  serverPids = pids;
}
const serverCpuUs = (): number => serverPids.reduce<number>((a, p) => a + procCpuUs(p), 0);

export interface Measured { rate: number; clientUs: number; serverUs: number }

/** Runs `fn` (which handles `n` events and resolves with its own rate) and adds the CPU per event of both sides. */
export async function measured(n: number, fn: () => Promise<number>): Promise<Measured> {
  const c0 = process.cpuUsage();
  const s0 = serverCpuUs();
  const rate = await fn();
  const c = process.cpuUsage(c0);
  return { rate, clientUs: (c.user + c.system) / n, serverUs: (serverCpuUs() - s0) / n };
}

/** `fn`, tried again (up to 10 times, 1 s apart) while a cluster's JetStream API times out or is "temporarily unavailable" after heavy work. */
export async function retried<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 9) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** The message bodies (and their event counts) a stream holds, in order (an ordered consumer: a cluster busy catching up refuses direct gets for a while). */
export async function bodiesOf(servers: string[], stream: string): Promise<Array<{ body: Uint8Array; events: number }>> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const info = await retried(() => jsm.streams.info(stream));
    const consumer = await retried(() => jetstream(nc, { timeout: 10_000 }).consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: info.state.first_seq }));
    // 16 messages a pull, as readStream does: 100 of 1 MiB a pull overran the server's 64 MB
    // max_pending, the server cut the connection and the run hung here.
    const msgs = await consumer.consume({ max_messages: 16 });
    const out = [];
    for await (const m of msgs) {
      const first = Number(m.headers?.get('Threadwal-Seq'));
      const last = Number(m.headers?.get('Threadwal-Last-Seq') || first);
      out.push({ body: m.data, events: last - first + 1 });
      if (m.seq >= info.state.last_seq) break;
    }
    await msgs.close();
    return out;
  } finally {
    await nc.close();
  }
}

let made = 0;

/**
 * Publishes `bodies` raw into a fresh stream, `window` acks outstanding; `shipHeaders` adds
 * the five headers one-event-per-message shipping sends (with the correct fence), so the
 * server does every check it does for ship. Resolves with events/s.
 */
export async function rawPub(servers: string[], replicas: number, bodies: Array<{ body: Uint8Array; events: number }>, window: number, shipHeaders = false): Promise<number> {
  const nc = await connect({ servers });
  try {
    const name = `RAW${++made}`;
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    await retried(() => jsm.streams.add({ name, subjects: [name], storage: StorageType.File, num_replicas: replicas }));
    const prefix = createInbox();
    let acked = 0;
    let wake: (() => void) | undefined;
    const sub = nc.subscribe(`${prefix}.*`, { callback: (_err, m) => {
      const v = JSON.parse(m.string()) as { error?: { description: string } };
      if (v.error) throw new Error(`raw publish refused: ${v.error.description}`);
      acked++;
      const w = wake;
      wake = undefined;
      w?.();
    } });
    const events = bodies.reduce((a, b) => a + b.events, 0);
    const t0 = now();
    for (let i = 0; i < bodies.length; i++) {
      let h: MsgHdrs | undefined;
      if (shipHeaders) {
        h = headers();
        h.set('Nats-Msg-Id', `bench0123456789abcdef:${i}`);
        h.set('Nats-Expected-Stream', name);
        h.set('Nats-Expected-Last-Sequence', String(i));
        h.set('Threadwal-Seq', String(i));
        h.set('Threadwal-Id', 'bench0123456789abcdef');
      }
      nc.publish(name, bodies[i]!.body, h ? { reply: `${prefix}.${i}`, headers: h } : { reply: `${prefix}.${i}` });
      while (i + 1 - acked >= window) await new Promise<void>((r) => { wake = r; });
    }
    while (acked < bodies.length) await new Promise<void>((r) => { wake = r; });
    sub.unsubscribe();
    return (events * 1000) / (now() - t0);
  } finally {
    await nc.close();
  }
}
