// threadwal/pino-transport: the target for pino.transport({ target: 'threadwal/pino-transport' }).
// `export *` skips a default export, and pino calls the target's default.
export { default } from '@threadwal/client/pino-transport';
export * from '@threadwal/client/pino-transport';
