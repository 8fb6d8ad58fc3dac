// The few fs calls the writer and maintenance make, behind one mutable object so tests can
// inject ENOSPC, EIO, short writes and EAGAIN inside the writer thread (see the
// `faultInjection` option) without mocking the world.
import * as fs from 'node:fs';

export interface FsSeam {
  openSync(path: string, flags: number, mode?: number): number;
  closeSync(fd: number): void;
  writeSync(fd: number, buf: Uint8Array, offset: number, length: number): number;
  readSync(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  fdatasyncSync(fd: number): void;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, len: number): void;
  fchmodSync(fd: number, mode: number): void;
  fstatSync(fd: number): fs.Stats;
  statSync(path: string): fs.Stats | undefined;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

export const fsSeam: FsSeam = {
  openSync: (path, flags, mode) => fs.openSync(path, flags, mode),
  closeSync: (fd) => fs.closeSync(fd),
  writeSync: (fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length),
  readSync: (fd, buf, offset, length, position) => fs.readSync(fd, buf, offset, length, position),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  ftruncateSync: (fd, len) => fs.ftruncateSync(fd, len),
  fchmodSync: (fd, mode) => fs.fchmodSync(fd, mode),
  fstatSync: (fd) => fs.fstatSync(fd),
  statSync: (path) => fs.statSync(path, { throwIfNoEntry: false }),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
};

/** A fault-injection module exports `install(seam)`; it may replace any method. */
export type FaultInstaller = (seam: FsSeam) => void;

/** Reads exactly `length` bytes at `position` (or fewer at end of file). */
export function readFully(fd: number, buf: Uint8Array, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fsSeam.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** fsyncs a directory so a create or rename in it is durable. */
export function fsyncDir(dir: string): void {
  const fd = fsSeam.openSync(dir, fs.constants.O_RDONLY);
  try {
    fsSeam.fsyncSync(fd);
  } finally {
    fsSeam.closeSync(fd);
  }
}
