// threadwal/ship: tail the WAL into NATS JetStream, exactly once per seq (see @threadwal/ship).
export * from '@threadwal/ship';
