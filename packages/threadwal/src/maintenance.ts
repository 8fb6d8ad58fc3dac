// threadwal/maintenance: rotate, cleanup, verify, readWal and their types.
export * from '@threadwal/maintenance';
