// Entry of the writer's compress thread (rotate.compress): gzips one plain rotated segment
// per request into the temp file it is given (gzip-segment.ts), so the deflate, the reads
// and the temp file's fsyncs never run on the writer thread. Putting the copy in place
// needs the writers' lock, which the writer thread holds: the writer does that part.
import { parentPort } from 'node:worker_threads';
import { openSync, closeSync, fstatSync, unlinkSync, constants } from 'node:fs';
import { WalError, toWire, fromFsError } from '../errors.js';
import { writeGzipCopy } from './gzip-segment.js';
import type { GzipRequest, GzipReply } from './compress-protocol.js';

const port = parentPort!;
const send = (msg: GzipReply): void => port.postMessage(msg);

async function gzip(req: GzipRequest): Promise<GzipReply> {
  let fd: number;
  try {
    fd = openSync(req.file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { type: 'gone', id: req.id };
    throw fromFsError(err, req.file, 'open');
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new WalError('EIO', `${req.file} is not a regular file`, { path: req.file });
    const bytesOut = await writeGzipCopy({ path: req.file, fd, size: st.size, mtimeMs: st.mtimeMs }, req.tmp, req.level);
    return { type: 'done', id: req.id, dev: st.dev, ino: st.ino, bytesIn: st.size, bytesOut };
  } finally {
    closeSync(fd);
  }
}

port.on('message', (req: GzipRequest) => {
  if (req?.type !== 'gzip') return;
  gzip(req).then(send, (err: unknown) => {
    try {
      unlinkSync(req.tmp);
    } catch {
      // never created
    }
    const e = err instanceof WalError ? err : fromFsError(err, req.file, 'gzip');
    send({ type: 'failed', id: req.id, error: toWire(e) });
  });
});
