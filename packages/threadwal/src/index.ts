// threadwal: the client API (openWal, connectWal, WalWriter, WalError and their types).
export * from '@threadwal/client';
