// A progress bar for long work (bytes done of total, rate, ETA), drawn with cli-progress on
// stderr, so stdout stays clean for the data. Only on a TTY: in a pipe, a log or a test the
// command stays quiet.
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import { formatDuration, formatSize } from './units.js';

// Loaded only when a bar is drawn: most runs (pipes, tests, --help) never need it.
const require = createRequire(import.meta.url);

/** Where a long job reports how far it has got. */
export interface ProgressBar {
  update(bytesDone: number, bytesTotal?: number): void;
  /** Removes the bar (idempotent); call it before printing the result. */
  stop(): void;
}

const QUIET: ProgressBar = { update() {}, stop() {} };

export interface ProgressOptions {
  /** Where to draw; defaults to process.stderr. Nothing is drawn unless it is a TTY. */
  stream?: NodeJS.WriteStream;
}

/** Starts a bar labelled `label` for `bytesTotal` bytes, or a no-op when not on a TTY. */
export function startProgress(label: string, bytesTotal: number, opts: ProgressOptions = {}): ProgressBar {
  const stream = opts.stream ?? process.stderr;
  if (stream.isTTY !== true) return QUIET;
  const { SingleBar } = require('cli-progress') as typeof CliProgress;
  const bar = new SingleBar({
    stream,
    format: `${label} {bar} {percentage}% | {done} / {size} | {rate} | ETA {remaining}`,
    barsize: 24,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: false, // a Ctrl-C mid-run must not leave the user's cursor hidden
    clearOnComplete: true,
    fps: 10,
  });
  const started = performance.now();
  let total = Math.max(1, bytesTotal);
  // Rate and ETA over the whole run so far: steadier than cli-progress's recent window,
  // which shows nonsense while the first chunks are read.
  const payload = (done: number): Record<string, string> => {
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    return {
      done: formatSize(done),
      size: formatSize(total),
      rate: `${formatSize(rate)}/s`,
      remaining: rate > 0 ? formatDuration(Math.ceil(Math.max(0, total - done) / rate)) : '…',
    };
  };
  bar.start(total, 0, payload(0));
  let stopped = false;
  return {
    update(done, newTotal) {
      if (stopped) return;
      if (newTotal !== undefined && newTotal > 0 && newTotal !== total) {
        total = newTotal;
        bar.setTotal(total);
      }
      bar.update(Math.min(done, total), payload(done));
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
