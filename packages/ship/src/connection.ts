// The NATS connection: the first connect retries with backoff until connectTimeoutMs (then
// 'unreachable'; bad credentials fail at once with 'auth', a TLS failure with 'tls'); after that the client itself
// reconnects forever, with the same capped, jittered backoff between attempts.
import type { NatsConnection } from '@nats-io/transport-node';
import { safeServers } from './redact.js';
import { connectChecked } from './connect-errors.js';
import { ShipError } from './errors.js';
import { Backoff } from './backoff.js';
import type { ResolvedShipOptions } from './options.js';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/** Connects, or resolves undefined when `signal` aborts first. */
export async function connectFirst(o: ResolvedShipOptions, signal: AbortSignal, onError: (err: unknown) => void): Promise<NatsConnection | undefined> {
  const started = Date.now();
  const backoff = new Backoff(o.backoff);
  const reconnect = new Backoff(o.backoff);
  let first = true;
  for (;;) {
    if (signal.aborted) return undefined;
    try {
      const nc = await connectChecked({
        ...o.connectOptions,
        servers: o.servers,
        name: `threadwal-ship ${o.name}`,
        maxReconnectAttempts: -1,
        waitOnFirstConnect: false,
        reconnectDelayHandler: () => reconnect.next(),
        pingInterval: o.pingIntervalMs,
        maxPingOut: 3,
        timeout: Math.min(o.timeoutMs, 5000),
      }, first, Math.min(o.timeoutMs, 2000));
      first = false;
      void (async () => {
        for await (const s of nc.status()) if (s.type === 'reconnect') reconnect.reset();
      })().catch(() => undefined);
      return nc;
    } catch (err) {
      first = false;
      onError(err);
      if (err instanceof ShipError) throw err;
      if (Date.now() - started >= o.connectTimeoutMs) {
        throw new ShipError('unreachable', `cannot reach a NATS server at ${safeServers(o.servers)} (${(err as Error).message})`, { cause: err });
      }
      await sleep(Math.min(backoff.next(), Math.max(1, o.connectTimeoutMs - (Date.now() - started))), signal);
    }
  }
}

export function watchConnection(nc: NatsConnection, on: { onDisconnect: () => void; onReconnect: () => void }): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') on.onDisconnect();
      else if (s.type === 'reconnect') on.onReconnect();
    }
  })().catch(() => undefined);
}
