// readWal(path, { raw: true }): the chunks of the raw reader handed out one line at a time
// by a plain async iterator rather than a generator yield per line (an async generator's
// yield costs several promise turns: it took a third of the time per line). Every line is a
// view into its chunk's bytes; the position a cursor may commit is the line last handed out.
import type { RawChunk, RawRecord } from './raw-cursor.js';
import type { ReadState } from './read-state.js';

export function rawRecords(chunks: AsyncGenerator<RawChunk>, st: ReadState, signal: AbortSignal | undefined): AsyncIterableIterator<RawRecord> {
  let c: RawChunk | undefined;
  let i = 0;
  let start = 0;
  const pull = (): Promise<IteratorResult<RawRecord>> => chunks.next().then((r) => {
    if (r.done === true) return { value: undefined, done: true };
    c = r.value;
    i = 0;
    start = 0;
    return it.next();
  });
  const it: AsyncIterableIterator<RawRecord> = {
    next(): Promise<IteratorResult<RawRecord>> {
      if (c === undefined || i >= c.count) return pull();
      if (signal?.aborted) return it.return!();
      const end = c.ends[i]!;
      const rec: RawRecord = { seq: c.firstSeq + i, line: c.data.subarray(start, end - 1) };
      i += 1;
      start = end;
      st.yielded = rec.seq;
      return Promise.resolve({ value: rec, done: false });
    },
    return(value?: unknown): Promise<IteratorResult<RawRecord>> {
      c = undefined;
      return chunks.return(undefined).then(() => ({ value: value as undefined, done: true }));
    },
    throw(err?: unknown): Promise<IteratorResult<RawRecord>> {
      c = undefined;
      return chunks.throw(err).then(() => ({ value: undefined, done: true }));
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
