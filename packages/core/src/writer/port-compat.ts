// What threadwal needs of a MessagePort, the same on Node's, Bun's and Deno's
// node:worker_threads. Node and Bun give every port Node's methods (on/once/off, ref/unref,
// a 'close' event); Deno gives them to the ports of its node:worker_threads MessageChannel
// and to ports that arrive through a Node-style listener, but:
// - a port that arrives through a web 'message' event (comlink's addEventListener path) is a
//   plain web port: no on/once/ref/unref, no 'close' (nodePort fixes that);
// - a port that ever had a 'message' listener cannot be transferred ("Message port is not
//   ready for transfer"): a port meant for another thread must never be listened on here
//   (the writer answers a new data port on a separate probe port: see WriterHost.connect);
// - no port has removeAllListeners (listen with a named function and off() it);
// - a worker's parentPort has no close() (closeParentPort).
import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { WalError } from '../errors.js';

function hasNodeMethods(port: MessagePort): boolean {
  return typeof port.on === 'function' && typeof port.off === 'function' && typeof port.ref === 'function' && typeof port.unref === 'function';
}

/**
 * `port` with Node's methods: itself on Node and Bun (and for most ports on Deno); a web
 * port is moved through a node:worker_threads channel and taken off it with
 * receiveMessageOnPort, which hands it back with the runtime's Node methods. The port must
 * not have been listened on (it is transferred).
 */
export function nodePort(port: MessagePort): MessagePort {
  if (hasNodeMethods(port)) return port;
  const relay = new MessageChannel();
  try {
    relay.port1.postMessage(port, [port]);
    const moved = receiveMessageOnPort(relay.port2)?.message as MessagePort | undefined;
    if (moved && hasNodeMethods(moved)) return moved;
  } catch (err) {
    throw new WalError('EWORKER', `this runtime's MessagePort lacks Node's methods (on, off, ref, unref) and cannot be given them: ${(err as Error).message}`, { cause: err });
  }
  throw new WalError('EWORKER', "this runtime's MessagePort lacks Node's methods (on, off, ref, unref) and cannot be given them");
}

/**
 * Resolves true at the port's first message, false if it closes first or `worker` exits
 * first (Deno never closes a port posted to a worker that is already dead); every listener
 * is removed either way.
 */
export function firstMessageOrClose(port: MessagePort, worker?: Worker): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (alive: boolean): void => {
      port.off('message', onMessage);
      port.off('close', onClose);
      worker?.off('exit', onClose);
      resolve(alive);
    };
    const onMessage = (): void => done(true);
    const onClose = (): void => done(false);
    port.on('message', onMessage);
    port.on('close', onClose);
    worker?.on('exit', onClose);
  });
}

/**
 * Lets a worker's parentPort stop keeping its thread alive: close() where it has one (Node,
 * Bun); Deno's parentPort (the worker's global scope) has none, but unref() does that there.
 */
export function closeParentPort(port: MessagePort): void {
  if (typeof port.close === 'function') port.close();
  else port.unref();
}
