// Server URLs may carry credentials (nats://user:pass@host:4222, a token as the user part):
// they never reach an error message, a status or a log line.

/** `servers` for a message: each URL's user-info replaced by `***`. */
export function safeServers(servers: readonly string[]): string {
  return servers.map(redactUrl).join(', ');
}

/** A URL with its user-info (anything between `//` and `@`) replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@\s]*@/g, '//***@');
}
