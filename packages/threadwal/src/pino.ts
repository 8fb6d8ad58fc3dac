// threadwal/pino: pinoDestination, a durable destination stream for pino.
export * from '@threadwal/client/pino';
