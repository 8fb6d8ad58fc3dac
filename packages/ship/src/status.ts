// What a running shipper reports (status(), onStatus, the CLI's line and --json).

export interface ShipStatus {
  state: 'starting' | 'waiting-for-wal' | 'connecting' | 'reconciling' | 'shipping' | 'backoff' | 'stopped' | 'failed';
  /** Whether the NATS connection is up right now. */
  connected: boolean;
  walId: string;
  stream: string;
  subject: string;
  /** WAL seq at stream seq 1 (null until known). */
  base: number | null;
  /** Last WAL seq the server acknowledged: every seq up to it is in the stream, once. -1: none. */
  ackedSeq: number;
  /** Last acked seq written to the checkpoint. */
  committedSeq: number;
  /**
   * Last WAL seq acknowledged at least serverSyncIntervalMs ago, so the server can no longer
   * lose it; what the maintenance cursor (retention's untilCommitted) was last given.
   */
  durableSeq: number;
  /** Last WAL seq handed to the client. */
  publishedSeq: number;
  inFlight: number;
  /** The seq the WAL's next event gets (sampled each checkpointEveryMs). */
  walNextSeq: number;
  /** Events in the WAL not yet acknowledged by the server. */
  lagEvents: number;
  /** lagEvents × the mean size of the events shipped so far (an estimate). */
  lagBytes: number;
  /** Events acknowledged by this run (duplicates included). */
  shipped: number;
  /** Messages acknowledged by this run (one per event with batch.maxEvents 1). */
  messages: number;
  shippedBytes: number;
  /** Acks that said `duplicate`: a retry the server deduplicated by Nats-Msg-Id. */
  duplicates: number;
  /** Times the position was read back from the stream (1 at start, then one per failure). */
  reconciles: number;
  /** Failures retried (timeouts, disconnects, wrong-last-sequence, reconcile errors). */
  retries: number;
  /** Reconnections of the NATS client. */
  reconnects: number;
  /** Reconciles that found the stream behind what it had acknowledged. */
  serverLost: number;
  elapsedMs: number;
  lastError: string | null;
}

export type ShipResult = ShipStatus;
