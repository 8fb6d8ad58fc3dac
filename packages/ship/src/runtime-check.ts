// ship() on a runtime that cannot do it (see core's util/runtime.ts): ERUNTIME at the call,
// naming what is missing (on Deno: read and write beside the WAL, net to each server).
import { checkRuntime } from '@threadwal/core';

/** "host:port" of a NATS server URL ("nats://h:p", "h:p", "h"), as Deno's net permission names it. */
export function serverHost(server: string): string {
  try {
    const u = new URL(server.includes('://') ? server : `nats://${server}`);
    return `${u.hostname}:${u.port || '4222'}`;
  } catch {
    return server;
  }
}

export function checkShipRuntime(walPath: string, servers: string[]): void {
  checkRuntime(walPath, 'ship', { write: true, hosts: servers.map(serverHost) });
}
