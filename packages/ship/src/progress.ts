// The shipper's counters, shared by the run loop, the epochs and status().

export class Progress {
  /** Last WAL seq the server acknowledged (every seq up to it is in the stream, once). */
  acked = -1;
  /** The stream seq of the message holding `acked` (-1: none). */
  streamSeq = -1;
  /** Last acked seq written to the checkpoint. */
  committed = -1;
  /** Last durable seq written to the checkpoint and the cursor. */
  committedDurable = -1;
  /** Last WAL seq handed to the client. */
  published = -1;
  /** The seq the WAL's next event gets (sampled). */
  walNext = 0;
  /** WAL seq at stream seq 1, when known. */
  base: number | undefined;
  shipped = 0;
  shippedBytes = 0;
  messages = 0;
  duplicates = 0;
  reconciles = 0;
  retries = 0;
  reconnects = 0;
  serverLost = 0;
}
